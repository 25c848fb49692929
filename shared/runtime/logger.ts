import pino, { type Logger } from 'pino';
import { detectPii, maskPii } from '../guards/pii';
import type { PiiType } from '../guards/types';
import { transformStrings } from '../guards/json-strings';

/**
 * Paths that may carry user content or secrets. Logs get ids, task names, timings and outcomes;
 * never prompts, inputs, outputs or keys.
 */
const REDACT = [
  'input',
  'output',
  'prompt',
  '*.input',
  '*.output',
  '*.prompt',
  'authorization',
  'apiKey',
  '*.apiKey',
  'headers.authorization',
  'req.headers.authorization',
];

/**
 * Masked in every log line. Not IP addresses (operators need infrastructure addresses; client IPs
 * are never logged) nor the heuristic names and addresses (too many false hits on log text).
 */
const LOG_MASKED: readonly PiiType[] = ['email', 'phone', 'credit-card', 'iban', 'ssn', 'secret'];
const mask = (text: string): string => maskPii(text, detectPii(text, { types: LOG_MASKED }));

export function createLogger(options: {
  name: string;
  level?: string;
  /** Where lines go. @default stdout */
  destination?: pino.DestinationStream;
}): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    // Second line of defence: whatever slips into a log line (an error message quoting a
    // customer, a key in a URL) has its PII masked irreversibly: `[EMAIL]`, `[CARD]`, `[SECRET]`.
    formatters: { log: (object) => transformStrings(object, mask) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? mask(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    base: { service: 'keel', component: options.name },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export type { Logger };
