import type { EventType } from '../../contracts/events';

/** The webhook store's records (webhooks.ts). */

export interface WebhookEndpoint {
  id: string;
  tenantId: string;
  url: string;
  events: EventType[];
  description: string;
  secret: string;
  previousSecret: string | null;
  previousExpiresAt: number | null;
  enabled: boolean;
  /** `gone` when Keel switched it off because the receiver answered 410. */
  disabledReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type NewWebhookEndpoint = Pick<
  WebhookEndpoint,
  'id' | 'tenantId' | 'url' | 'events' | 'description' | 'secret'
>;

export type WebhookEndpointPatch = Partial<
  Pick<WebhookEndpoint, 'url' | 'events' | 'description' | 'enabled'>
>;

export const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'abandoned'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  tenantId: string;
  eventId: number;
  eventType: EventType;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  redeliveries: number;
  createdAt: number;
}

/** One attempt's outcome, as the delivery activity records it. */
export interface DeliveryAttempt {
  at: number;
  state: DeliveryState;
  status: number | null;
  error: string | null;
  nextAttemptAt: number | null;
}
