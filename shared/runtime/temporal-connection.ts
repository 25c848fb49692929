import { readFileSync } from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalSettings } from './config';

function tlsOptions(settings: TemporalSettings): ConnectionOptions['tls'] {
  const tls = settings.tls;
  if (!tls) return settings.apiKey ? true : undefined;
  return {
    serverNameOverride: tls.serverNameOverride,
    serverRootCACertificate: tls.serverRootCACertificatePath
      ? readFileSync(tls.serverRootCACertificatePath)
      : undefined,
    clientCertPair: tls.clientCertPairPaths
      ? {
          crt: readFileSync(tls.clientCertPairPaths.crt),
          key: readFileSync(tls.clientCertPairPaths.key),
        }
      : undefined,
  };
}

/** Client connection (server, scripts, tests). */
export async function connectClient(settings: TemporalSettings): Promise<Connection> {
  return Connection.connect({
    address: settings.address,
    tls: tlsOptions(settings),
    apiKey: settings.apiKey,
  });
}

/** Worker connection (Rust core). */
export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: settings.address,
    tls: tlsOptions(settings),
    apiKey: settings.apiKey,
  };
  return NativeConnection.connect(options);
}
