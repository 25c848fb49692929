/**
 * The Node.js Keel needs, checked once at start by every entry point (worker, server, `npm start`)
 * so an old runtime stops with one clear line instead of a stack trace from deep inside a
 * dependency. Keep in step with `engines.node` in package.json (a unit test holds them together).
 */
export const REQUIRED_NODE = { major: 20, minor: 19 } as const;

/** Why this Node cannot run Keel, or undefined when it can. `version` as in `process.versions.node`. */
export function unsupportedNodeReason(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  const { major: needMajor, minor: needMinor } = REQUIRED_NODE;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return `Keel needs Node.js >= ${needMajor}.${needMinor} (package.json "engines"); this is Node.js ${version}. Install a newer Node.js (e.g. the current LTS) and try again.`;
}

/** Stops the process with a clear message when this Node is older than Keel needs. */
export function assertSupportedNode(version: string = process.versions.node): void {
  const reason = unsupportedNodeReason(version);
  if (reason === undefined) return;
  console.error(reason);
  process.exit(1);
}
