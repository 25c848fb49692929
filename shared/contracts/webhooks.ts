import { z } from 'zod';
import { EVENT_TYPES, type EventType } from './events';
import { TenancyId } from '../tenancy/plans';

/**
 * The webhooks' wire types: the admin API's bodies, the events an endpoint may subscribe to, the
 * limits, and the delivery workflow's id and input. How a delivery is signed and sent:
 * docs/webhooks.md.
 */

/** What an endpoint may subscribe to: every event but `batch.progress` (too chatty for a push). */
export const WEBHOOK_EVENT_TYPES = EVENT_TYPES.filter(
  (t): t is Exclude<EventType, 'batch.progress'> => t !== 'batch.progress',
);

/** Endpoints one tenant may have. */
export const MAX_WEBHOOKS_PER_TENANT = 20;
/** Longest destination URL. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** One attempt's HTTP request (connect, send, the receiver's status line) must finish within this. */
export const WEBHOOK_ATTEMPT_TIMEOUT_MS = 10_000;
/** Keel keeps retrying a delivery for this long after the event. */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 3600 * 1000;
/** The retry interval doubles from KEEL_WEBHOOK_RETRY_INITIAL_MS up to this. */
export const WEBHOOK_MAX_RETRY_INTERVAL_MS = 3600 * 1000;
/** Longest overlap of a rotated secret with its successor: 7 days. */
export const MAX_SECRET_OVERLAP_S = 7 * 24 * 3600;
/** Most deliveries on one page of the delivery log. */
export const MAX_DELIVERIES_PER_PAGE = 200;

const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES as [EventType, ...EventType[]]);
const WebhookUrl = z
  .string()
  .max(MAX_WEBHOOK_URL_LENGTH)
  .refine((v) => URL.canParse(v), 'an absolute http(s) URL');
const Events = z
  .array(WebhookEventType)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((v) => [...new Set(v)]);

export const CreateWebhookBody = z
  .object({
    url: WebhookUrl,
    events: Events,
    description: z.string().max(500).default(''),
    /** The platform operator may create an endpoint for another tenant. @default the key's tenant */
    tenant: TenancyId.optional(),
  })
  .strict();

export const UpdateWebhookBody = z
  .object({
    url: WebhookUrl,
    events: Events,
    description: z.string().max(500),
    enabled: z.boolean(),
  })
  .partial()
  .strict()
  .refine(
    (b) => Object.keys(b).length > 0,
    'send at least one of url, events, description, enabled',
  );

export const RotateSecretBody = z
  .object({
    /** How long the old secret keeps signing beside the new one. @default 86400 */
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECRET_OVERLAP_S)
      .default(24 * 3600),
  })
  .strict();

export const WebhookBody = z.object({
  id: z.string(),
  tenantId: z.string(),
  url: z.string(),
  events: z.array(WebhookEventType),
  description: z.string(),
  enabled: z.boolean(),
  disabledReason: z
    .string()
    .nullable()
    .describe('`gone` when Keel switched the endpoint off because it answered 410 Gone.'),
  previousSecretExpiresAt: z
    .string()
    .nullable()
    .describe('After a rotation: until when the previous secret still signs (ISO 8601).'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookBody = z.infer<typeof WebhookBody>;

const Secret = z
  .string()
  .describe('`whsec_` + base64 of 32 random bytes: shown this once, never again.');
export const CreatedWebhookBody = WebhookBody.extend({ secret: Secret });
export const RotatedSecretBody = WebhookBody.extend({ secret: Secret });
export const WebhookListBody = z.object({ items: z.array(WebhookBody) });

export const DeliveryBody = z.object({
  id: z.string(),
  endpointId: z.string(),
  eventId: z.string().describe('The `webhook-id` header: the same on every attempt.'),
  eventType: WebhookEventType,
  state: z.enum(['pending', 'delivered', 'failed', 'abandoned']),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable().describe('The HTTP status of the last attempt.'),
  lastError: z
    .string()
    .nullable()
    .describe('The last failed attempt: http-status, timeout, connection, dns, url-refused, gone.'),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable().describe('When the next attempt is due, while pending.'),
  deliveredAt: z.string().nullable(),
  redeliveries: z.number().int(),
  createdAt: z.string(),
});
export type DeliveryBody = z.infer<typeof DeliveryBody>;

export const DeliveryListBody = z.object({
  items: z.array(DeliveryBody),
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next: z.string().optional(),
});

export const DeliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_DELIVERIES_PER_PAGE).default(50),
    before: z.string().min(1).optional(),
  })
  .strict();

/** The webhook id a receiver dedups by: one per event, the same on every attempt and endpoint. */
export const webhookMessageId = (eventId: number): string => `evt_${eventId}`;

/**
 * The delivery workflow's id: one per endpoint and event, so a sink told twice of an event
 * starts it once. A manual redelivery runs as `…-r<n>`.
 */
export const webhookWorkflowId = (endpointId: string, eventId: number, redelivery = 0): string =>
  `keel-webhook-${endpointId}-${eventId}${redelivery > 0 ? `-r${redelivery}` : ''}`;

/** The delivery workflow's input. */
export interface DeliverWebhookArgs {
  deliveryId: string;
  /** The first retry waits this long; each next one twice as long, up to an hour. */
  initialIntervalMs: number;
}
