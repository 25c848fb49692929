/**
 * The floor's one activity: no I/O, no payload to speak of, so what a run costs is Temporal's
 * own work (the round trips between the server, the SDK's core and the worker thread).
 */
export function createFloorActivities(): { step(n: number): Promise<number> } {
  return {
    // eslint-disable-next-line @typescript-eslint/require-await
    async step(n: number): Promise<number> {
      return n + 1;
    },
  };
}

export type FloorActivities = ReturnType<typeof createFloorActivities>;
