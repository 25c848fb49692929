import type { LoggerService } from '@nestjs/common';
import type { Logger } from '../shared/platform/logger';

/**
 * NestJS's own messages (bootstrap errors, an exception thrown outside a request) through Keel's
 * logger: the same JSON lines and the same masking. Nest's console logger would print them raw.
 * Its chatty lifecycle lines (`log`, `debug`, `verbose`) go to debug and trace.
 */
export function nestLogger(logger: Logger): LoggerService {
  const write =
    (level: 'error' | 'warn' | 'debug' | 'trace') =>
    (message: unknown, ...rest: unknown[]): void => {
      // Nest passes (message, [stack], context) or (message, context); an Error may come first.
      const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
      const stack = level === 'error' && rest.length > 1 ? rest[0] : undefined;
      const fields = { sdkComponent: 'nest', ...(context ? { context } : {}) };
      if (message instanceof Error) logger[level]({ ...fields, err: message }, message.message);
      else if (typeof message === 'string')
        logger[level](typeof stack === 'string' ? { ...fields, stack } : fields, message);
      else logger[level]({ ...fields, detail: message }, 'nest');
    };
  return {
    error: write('error'),
    warn: write('warn'),
    log: write('debug'),
    debug: write('trace'),
    verbose: write('trace'),
    fatal: write('error'),
  };
}
