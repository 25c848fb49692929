import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Client,
  Connection,
  type ClientInterceptors,
  type ConnectionOptions,
} from '@temporalio/client';
import {
  defaultPayloadConverter,
  type DataConverter,
  type LoadedDataConverter,
  type PayloadCodec,
} from '@temporalio/common';
import {
  NativeConnection,
  Runtime,
  type NativeConnectionOptions,
  type WorkerInterceptors,
  type WorkerOptions,
} from '@temporalio/worker';
import type { KeelConfig, TemporalSettings } from './config';
import type { Logger } from './logger';
import { failureConverter as encodedFailureConverter } from './encoded-failure-converter';
import { ClaimCheckCodec, FileBlobStore } from './claim-check';
import { EncryptionCodec } from './payload-codec';
import { TenantBindings, temporalTenantLookup } from './tenant-bindings';
import { TenantKeyring } from './tenant-keys';
import { sdkLogLevel, temporalLogger } from './temporal-logger';
import { TenantStore } from '../tenancy/store';
import { tenantStorePath } from '../tenancy/open';

/**
 * The one place Keel's product code reaches Temporal: it builds every `Connection` and
 * `NativeConnection`, every `Client`, the worker's data converter and interceptors, and installs
 * the process's `Runtime`. TLS and API keys come from `TemporalSettings`; what later work adds
 * (an encrypting payload codec, OpenTelemetry tracing) goes into `TemporalHooks` here, and reaches
 * the API's client, the worker's activity client and the worker alike.
 */
export interface TemporalHooks {
  /**
   * How payloads are converted and encoded, for clients and workers alike. The payload-codec work
   * sets `payloadCodecs` here (an encrypting codec), so Temporal never stores inputs in clear.
   * A worker needs the same converter as every client that starts its workflows.
   * @default undefined (the SDK's default converter, no codec)
   */
  dataConverter?: DataConverter;
  /**
   * Tracing (shared/platform/tracing.ts) adds OpenTelemetry interceptors here: `client` for
   * starts, signals, updates and queries; `worker` for workflow (by module path), activity and
   * Nexus execution.
   * @default no interceptors
   */
  interceptors?: { client?: ClientInterceptors; worker?: WorkerInterceptors };
  /**
   * Sinks workflow code calls (tracing's span exporter: workflow spans leave the sandbox here).
   * @default none
   */
  sinks?: WorkerOptions['sinks'];
  /**
   * With per-tenant data keys: which workflow is whose. Every client the connector makes binds
   * the workflows it starts (`KeelTenant`), composed with `interceptors.client`.
   * @default none
   */
  tenantBindings?: TenantBindings;
}

export interface TemporalConnector {
  readonly settings: TemporalSettings;
  readonly hooks: TemporalHooks;
  /** A bare client connection, for the operator service (search attributes) and health checks. */
  connect(): Promise<Connection>;
  /** A client on its own connection; `close` closes that connection. */
  openClient(): Promise<{ client: Client; close: () => Promise<void> }>;
  /** A client on an existing connection (e.g. the worker's native one, for eager starts). */
  clientOn(connection: Connection | NativeConnection): Client;
  /** The worker's connection (Rust core). */
  connectNative(): Promise<NativeConnection>;
  /** What every worker of this process takes from here: namespace, converter, interceptors, sinks. */
  workerOptions(): Pick<WorkerOptions, 'namespace' | 'dataConverter' | 'interceptors' | 'sinks'>;
}

/** The module `configuredHooks` names as `failureConverterPath`. */
export const ENCODED_FAILURE_CONVERTER_PATH = path.join(__dirname, 'encoded-failure-converter');

/**
 * The hooks a deployment's config asks for. With payload keys (KEEL_PAYLOAD_KEYS or
 * KEEL_PAYLOAD_KEY_FILE): the encrypting codec on every payload, and the failure converter that
 * moves failure messages and stack traces into an encoded (so encrypted) payload. With the claim
 * check (KEEL_CLAIM_CHECK_BYTES): large payloads, already encrypted, go to the blob store. Codecs
 * encode in this order and decode in reverse. They run in the client and in the worker's main
 * thread, outside the workflow sandbox; the failure converter is loaded by path, also inside the
 * sandbox (bundled with the workflows).
 */
export function configuredHooks(config: CodecConfig): TemporalHooks {
  const bindings =
    config.payloadKeys || config.claimCheck
      ? new TenantBindings(config.tenantBindingsMax)
      : undefined;
  const codecs: PayloadCodec[] = [
    // Sees payloads in clear: whose workflow is whose, for the blob store's owners.
    ...(config.claimCheck && bindings ? [bindings.learningCodec()] : []),
    ...(config.payloadKeys ? [payloadCodec(config, { bindings })] : []),
    ...(config.claimCheck ? [claimCheckCodec(config.claimCheck, bindings)] : []),
  ];
  if (codecs.length === 0) return {};
  return {
    dataConverter: {
      payloadCodecs: codecs,
      ...(config.payloadKeys ? { failureConverterPath: ENCODED_FAILURE_CONVERTER_PATH } : {}),
    },
    ...(bindings ? { tenantBindings: bindings } : {}),
  };
}

/** What the payload codec is made from. */
export type CodecConfig = Pick<KeelConfig, 'payloadKeys'> &
  Partial<
    Pick<KeelConfig, 'claimCheck' | 'dataDir' | 'databaseUrl' | 'models' | 'tenantBindingsMax'>
  >;

/** How long a process uses a tenant's data key before reading the store again. */
export const TENANT_KEY_CACHE_MS = 60_000;

/**
 * The encrypting codec of a deployment with payload keys. It decrypts payloads under tenants' data
 * keys whenever the tenant store is configured (loaded on first need, from a store handle of its
 * own); it encrypts under them when the config turns `encryption.tenantDataKeys` on.
 */
export function payloadCodec(
  config: CodecConfig,
  options: { bindings?: TenantBindings; cacheMs?: number } = {},
): EncryptionCodec {
  const keys = config.payloadKeys;
  if (!keys) throw new Error('payloadCodec needs payload keys');
  const storeAt = config.databaseUrl
    ? { url: config.databaseUrl }
    : config.dataDir
      ? { sqlitePath: tenantStorePath({ dataDir: config.dataDir }) }
      : undefined;
  if (!storeAt) return new EncryptionCodec(keys);
  let store: Promise<TenantStore> | undefined;
  const source = () => {
    store ??= TenantStore.open({ ...storeAt, maxConnections: 2, secretKeys: keys });
    // A failed open is tried again on the next payload.
    store.catch(() => (store = undefined));
    return store.then((s) => s.dataKeys);
  };
  return new EncryptionCodec(keys, {
    keyring: new TenantKeyring(source, options.cacheMs ?? TENANT_KEY_CACHE_MS),
    bindings: options.bindings ?? new TenantBindings(),
    encode: config.models?.encryption.tenantDataKeys === true,
  });
}

/** The claim-check codec of a deployment (the codec server decodes with the same one). */
export function claimCheckCodec(
  settings: NonNullable<KeelConfig['claimCheck']>,
  bindings?: TenantBindings,
): ClaimCheckCodec {
  const store = new FileBlobStore(settings.dir);
  if (!bindings) return new ClaimCheckCodec(store, settings.thresholdBytes);
  // Each blob filed under its workflow and its tenant, looked up when this process forgot it.
  return new ClaimCheckCodec(store, settings.thresholdBytes, async (context) => ({
    workflowId: context?.workflowId,
    tenantId: await bindings.resolve(context, []),
  }));
}

/** One boot line saying whether this process encrypts payloads, and with which primary key id. */
export function logPayloadEncryption(
  config: Pick<KeelConfig, 'payloadKeys'>,
  logger: Logger,
): void {
  const keys = config.payloadKeys;
  if (keys?.[0]) logger.info({ primaryKeyId: keys[0].id, keys: keys.length }, 'payloads encrypted');
  else
    logger.warn(
      'KEEL_PAYLOAD_KEYS is unset: task inputs and results are stored in Temporal in clear (docs/encryption.md)',
    );
}

/**
 * What clients get: the same converter, with Keel's failure converter already loaded (the SDK
 * would `require` its path, which a process without a TypeScript loader cannot do for a `.ts`).
 */
function clientConverter(
  converter?: DataConverter,
): DataConverter | LoadedDataConverter | undefined {
  if (converter?.failureConverterPath !== ENCODED_FAILURE_CONVERTER_PATH) return converter;
  return {
    payloadConverter: defaultPayloadConverter,
    failureConverter: encodedFailureConverter,
    payloadCodecs: converter.payloadCodecs ?? [],
  };
}

/** The client interceptors, with the tenant binding first when there are bindings. */
function withTenantBindings(
  client: ClientInterceptors | undefined,
  bindings: TenantBindings | undefined,
): ClientInterceptors | undefined {
  if (!bindings) return client;
  const others = client?.workflow;
  // The older factory form (`WorkflowClientInterceptors`) is left as it is: Keel's tracing uses a list.
  if (others && !Array.isArray(others)) return client;
  return { ...client, workflow: [bindings.clientInterceptor(), ...(others ?? [])] };
}

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

/** Connections, clients and worker options for one deployment's Temporal, with `hooks` applied. */
export function createTemporalConnector(
  settings: TemporalSettings,
  hooks: TemporalHooks = {},
): TemporalConnector {
  const connect = (): Promise<Connection> =>
    Connection.connect({
      address: settings.address,
      tls: tlsOptions(settings),
      apiKey: settings.apiKey,
    });
  const dataConverter = clientConverter(hooks.dataConverter);
  // A workflow whose binding this process lost is looked up through its first open connection.
  const lookUpThrough = (connection: Connection | NativeConnection): (() => void) =>
    hooks.tenantBindings?.lookUpWith(
      temporalTenantLookup(() => connection.workflowService, settings.namespace),
    ) ?? (() => undefined);
  const interceptors = withTenantBindings(hooks.interceptors?.client, hooks.tenantBindings);
  const clientOn = (connection: Connection | NativeConnection): Client =>
    new Client({
      // A NativeConnection serves the client API too; sharing it is what eager start needs.
      connection,
      namespace: settings.namespace,
      dataConverter,
      interceptors,
    });
  return {
    settings,
    hooks,
    connect,
    clientOn,
    async openClient() {
      const connection = await connect();
      const detach = lookUpThrough(connection);
      return {
        client: clientOn(connection),
        close: () => {
          detach();
          return connection.close();
        },
      };
    },
    async connectNative() {
      const options: NativeConnectionOptions = {
        address: settings.address,
        tls: tlsOptions(settings),
        apiKey: settings.apiKey,
      };
      const connection = await NativeConnection.connect(options);
      // The worker's connection: it lives as long as the process does.
      lookUpThrough(connection);
      return connection;
    },
    workerOptions() {
      return {
        namespace: settings.namespace,
        ...(hooks.dataConverter ? { dataConverter: hooks.dataConverter } : {}),
        ...(hooks.interceptors?.worker ? { interceptors: hooks.interceptors.worker } : {}),
        ...(hooks.sinks ? { sinks: hooks.sinks } : {}),
      };
    },
  };
}

/**
 * One readiness probe of a plain (no TLS, no key) frontend such as the local dev server: connects,
 * asks for its system info, closes. Throws when nothing answers within `connectTimeoutMs`.
 */
export async function pingTemporal(address: string, connectTimeoutMs: number): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: connectTimeoutMs });
  try {
    await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
}

/**
 * Installs this process's Temporal runtime with every SDK log (the TypeScript side and Core's
 * native logs, forwarded) going through `logger`. Once per process, before the first
 * `NativeConnection` or `Worker`; a client-only process (the API without an embedded worker)
 * needs none.
 */
export function installTemporalRuntime(options: {
  logger: Logger;
  /** Keel's log level (`LOG_LEVEL`). */
  level: string;
  /** Signals on which the SDK shuts its workers down. `[]` when the process handles them. */
  shutdownSignals?: NodeJS.Signals[];
  /**
   * `host:port` where the SDK's core serves its Prometheus metrics (`temporal_*`: polls, slots,
   * schedule-to-start latency; KEEL_TEMPORAL_METRICS_ADDRESS). @default off
   */
  metricsAddress?: string;
}): void {
  const level = sdkLogLevel(options.level);
  Runtime.install({
    logger: temporalLogger(options.logger, level),
    telemetryOptions: {
      logging: { filter: { core: level, other: 'ERROR' }, forward: {} },
      ...(options.metricsAddress
        ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } }
        : {}),
    },
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
  });
}
