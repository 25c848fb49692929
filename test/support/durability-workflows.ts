/**
 * The one workflow test/e2e/sqlite-durability.test.ts runs on a worker: it completes at once with
 * its input, so a result the client received can be checked again after the server's crash.
 */
// eslint-disable-next-line @typescript-eslint/require-await
export async function echo(n: number): Promise<number> {
  return n;
}
