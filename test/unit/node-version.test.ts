import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUIRED_NODE, unsupportedNodeReason } from '../../shared/platform/node-version';

const ROOT = path.resolve(__dirname, '../..');
const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

describe('the Node.js version check', () => {
  it('matches engines.node in package.json and its lock', () => {
    const declared = `>=${REQUIRED_NODE.major}.${REQUIRED_NODE.minor}.0`;
    expect((readJson('package.json')['engines'] as { node: string }).node).toBe(declared);
    const lockRoot = (readJson('package-lock.json')['packages'] as Record<string, unknown>)[''];
    expect((lockRoot as { engines: { node: string } }).engines.node).toBe(declared);
  });

  it('accepts the declared minimum and anything newer', () => {
    expect(unsupportedNodeReason('20.19.0')).toBeUndefined();
    expect(unsupportedNodeReason('20.20.2')).toBeUndefined();
    expect(unsupportedNodeReason('22.0.0')).toBeUndefined();
    expect(unsupportedNodeReason(process.versions.node)).toBeUndefined();
  });

  it('refuses an older Node with a message naming both versions', () => {
    expect(unsupportedNodeReason('20.18.3')).toMatch(
      /needs Node\.js >= 20\.19.*this is Node\.js 20\.18\.3/,
    );
    expect(unsupportedNodeReason('18.20.0')).toMatch(/this is Node\.js 18\.20\.0/);
  });
});
