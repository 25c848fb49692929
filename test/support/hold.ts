/** A step a test holds (an activity, a handler): `reached` once it runs; it goes on once released. */
export interface Hold {
  reached: Promise<void>;
  release: () => void;
  /** Called by the held step: marks it reached and waits for the release. */
  wait: () => Promise<void>;
}

export function hold(): Hold {
  let release!: () => void;
  let reach!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return {
    reached,
    release,
    wait: () => {
      reach();
      return released;
    },
  };
}
