import pino, { type Logger } from 'pino';

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

export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service: 'keel', component: options.name },
  });
}

export type { Logger };
