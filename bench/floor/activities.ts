/**
 * The floor's one activity: no I/O, no payload to speak of, so what a run costs is Temporal's
 * own work (the round trips between the server, the SDK's core and the worker thread).
 */
export function createFloorActivities(): { step(n: number, waitMs?: number): Promise<number> } {
  return {
    async step(n: number, waitMs = 0): Promise<number> {
      // A model call's upstream latency, when the bench runs the upstream slower than 0 ms.
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      return n + 1;
    },
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
