import type { LogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/worker';
import type { Logger } from './logger';

const SDK_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const PINO_METHOD = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<LogLevel, string>;

/** One payload as Temporal Core prints it: its data in base64, or its first and last 32 bytes. */
const B64 = '[A-Za-z0-9+/]+={0,2}';
const CORE_PAYLOAD = `${B64}(?:\\.\\.${B64})?`;
const CORE_PAYLOADS = new RegExp(`\\[${CORE_PAYLOAD}(?:, ${CORE_PAYLOAD})*\\]`, 'g');

/**
 * Core's debug lines show payloads (`Success([eyJvayI6…=..QUtJQUlP…=])`): with payload keys,
 * ciphertext; without, up to 64 bytes of an input or a result in base64, which no detector reads
 * and whose 32-byte windows cut values in half. Each such list becomes `[payloads]`. A list of
 * letters only (`[RecordMarker]`) is a name, not a payload: Core's base64 windows always carry
 * padding, `..`, a digit, `+` or `/`.
 */
export const hideCorePayloads = (text: string): string =>
  text.replace(CORE_PAYLOADS, (list) => (/[0-9+/=]|\.\./.test(list) ? '[payloads]' : list));

const hidePayloadsIn = (meta: LogMetadata): LogMetadata =>
  Object.fromEntries(
    Object.entries(meta).map(([k, v]) => [k, typeof v === 'string' ? hideCorePayloads(v) : v]),
  );

/**
 * The Temporal SDK's `Logger` on top of Keel's: SDK, Core, Workflow and Activity context lines
 * come out as Keel's JSON, masked the same way (`sdkComponent` says which part of the SDK spoke).
 * Lines below `minLevel` are dropped: the SDK's INFO is chatty (every worker state change).
 */
export function temporalLogger(logger: Logger, minLevel: LogLevel = 'TRACE'): SdkLogger {
  const min = SDK_LEVELS.indexOf(minLevel);
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    if (SDK_LEVELS.indexOf(level) < min) return;
    // Symbol keys (the SDK's LogTimestamp) are not written; pino stamps its own time.
    if (meta?.['sdkComponent'] === 'core')
      logger[PINO_METHOD[level]](hidePayloadsIn({ ...meta }), hideCorePayloads(message));
    else logger[PINO_METHOD[level]]({ ...meta }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** The SDK's threshold for a Keel log level: WARN, or DEBUG when Keel itself logs at debug. */
export function sdkLogLevel(keelLevel: string): LogLevel {
  return keelLevel === 'debug' || keelLevel === 'trace' ? 'DEBUG' : 'WARN';
}
