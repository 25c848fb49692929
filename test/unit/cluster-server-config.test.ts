import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICES, writeServerConfig } from '../../temporal/cluster/server-config';

describe('the cluster server config', () => {
  it('points the server at a dynamic config file that turns task-queue fairness on', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-server-config-'));
    try {
      const file = path.join(dir, 'config.yaml');
      const ports = Object.fromEntries(
        SERVICES.map((s, i) => [s, { grpcPort: 7000 + i, membershipPort: 6000 + i }]),
      ) as Parameters<typeof writeServerConfig>[1]['ports'];
      writeServerConfig(file, { postgres: { port: 5432, user: 'u', password: 'p' }, ports });
      const strip = (text: string): unknown => JSON.parse(text.replace(/^#.*\n/, ''));
      const config = strip(readFileSync(file, 'utf8')) as {
        dynamicConfigClient: { filepath: string };
      };
      expect(config.dynamicConfigClient.filepath).toBe(path.join(dir, 'dynamic-config.yaml'));
      expect(strip(readFileSync(config.dynamicConfigClient.filepath, 'utf8'))).toEqual({
        'matching.enableFairness': [{ value: true }],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
