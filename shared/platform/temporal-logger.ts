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
    logger[PINO_METHOD[level]]({ ...meta }, message);
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
