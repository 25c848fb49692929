import { Writable } from 'node:stream';
import { createLogger } from '../../shared/platform/logger';

/** A Keel logger (trace ids on) whose lines land, parsed, in `lines`: what a test reads back. */
export function capturedLogger(name = 'test'): {
  logger: ReturnType<typeof createLogger>;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    name,
    traceIds: true,
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });
  return { logger, lines };
}
