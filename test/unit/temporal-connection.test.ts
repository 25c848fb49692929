import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createTemporalConnector } from '../../shared/platform/temporal-connection';

const ROOT = path.resolve(__dirname, '../..');
const PRODUCT = ['workflows', 'activities', 'worker', 'server', 'shared', 'temporal'];
const settings = { address: '127.0.0.1:1', namespace: 'keel-ns', embedded: false };

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

/** A codec that changes nothing, standing in for the encrypting one to come. */
const codec: PayloadCodec = {
  encode: (payloads: Payload[]) => Promise.resolve(payloads),
  decode: (payloads: Payload[]) => Promise.resolve(payloads),
};

describe('the Temporal connection factory', () => {
  it('is the only product module that connects, builds clients or installs the runtime', () => {
    const pattern = /\b(?:Native)?Connection\.connect\(|\bRuntime\.install\(|\bnew Client\(/;
    const offenders = PRODUCT.flatMap(sources).filter((file) =>
      pattern.test(readFileSync(path.join(ROOT, file), 'utf8')),
    );
    expect(offenders).toEqual([path.join('shared', 'platform', 'temporal-connection.ts')]);
  });

  it('without hooks: the namespace only, the SDK default converter and no interceptors', async () => {
    const temporal = createTemporalConnector(settings);
    expect(temporal.workerOptions()).toEqual({ namespace: 'keel-ns' });
    const connection = Connection.lazy({ address: settings.address });
    const client = temporal.clientOn(connection);
    expect(client.options.namespace).toBe('keel-ns');
    expect(client.options.loadedDataConverter.payloadCodecs).toEqual([]);
    await connection.close();
  });

  it('hands the data converter and interceptors to every client and worker it configures', async () => {
    const clientInterceptor = {};
    const temporal = createTemporalConnector(settings, {
      dataConverter: { payloadCodecs: [codec] },
      interceptors: {
        client: { workflow: [clientInterceptor] },
        worker: { workflowModules: ['/tracing-interceptors'] },
      },
    });
    expect(temporal.workerOptions()).toEqual({
      namespace: 'keel-ns',
      dataConverter: { payloadCodecs: [codec] },
      interceptors: { workflowModules: ['/tracing-interceptors'] },
    });
    const connection = Connection.lazy({ address: settings.address });
    const client = temporal.clientOn(connection);
    expect(client.options.loadedDataConverter.payloadCodecs).toEqual([codec]);
    expect(client.options.interceptors.workflow).toEqual([clientInterceptor]);
    await connection.close();
  });
});
