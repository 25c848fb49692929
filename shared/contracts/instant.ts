import { z } from 'zod';

/**
 * A point in time in a query (`from`, `to`): an RFC 3339 date-time (`2026-12-01T08:30:00Z`,
 * `…+01:00`, fractions allowed) or a date (`2026-12-01`, UTC midnight). Anything else, a bare
 * number included, is a 400 naming the parameter. Parsed to epoch ms.
 */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/i;

export const Instant = z
  .string()
  .regex(INSTANT, 'an RFC 3339 date-time or a date (YYYY-MM-DD)')
  .refine((v) => !Number.isNaN(Date.parse(v)), 'a real date')
  .transform((v) => Date.parse(v));

/** The same, as an OpenAPI parameter schema. */
export const INSTANT_SCHEMA = {
  anyOf: [
    { type: 'string', format: 'date-time' },
    { type: 'string', format: 'date' },
  ],
} as const;
