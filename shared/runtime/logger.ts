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
    base: { service: 'keel', component: options.name },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

export type { Logger };
