import type { z } from 'zod';
import {
  CreatedWebhookBody,
  CreateWebhookBody,
  DeliveryBody,
  DeliveryListBody,
  MAX_DELIVERIES_PER_PAGE,
  RotatedSecretBody,
  RotateSecretBody,
  UpdateWebhookBody,
  WebhookBody,
  WebhookListBody,
} from '../shared/contracts/webhooks';
import { json, problems, requestBody, schema, type Json } from './openapi-parts';

/** The webhooks admin API (endpoints, secrets, the delivery log), as OpenAPI paths. */
export function webhookPaths(): Json {
  const paths: Json = {};
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const deliveryIdParam = {
    name: 'deliveryId',
    in: 'path',
    required: true,
    schema: { type: 'string' },
  };
  const tags = ['webhooks'];
  paths['/v1/webhooks'] = {
    post: {
      summary:
        'Create an endpoint subscribed to event types; the response carries its signing `secret` this once (docs/webhooks.md).',
      tags,
      requestBody: webhookBody(CreateWebhookBody),
      responses: {
        201: json('Created.', schema(CreatedWebhookBody)),
        ...problems('POST /v1/webhooks'),
      },
    },
    get: {
      summary: 'The endpoints (a tenant admin: its tenant’s; the operator: all, or `tenant`).',
      tags,
      parameters: [
        { name: 'tenant', in: 'query', description: 'Operator only.', schema: { type: 'string' } },
      ],
      responses: {
        200: json('The endpoints (never their secrets).', schema(WebhookListBody)),
        ...problems('GET /v1/webhooks'),
      },
    },
  };
  paths['/v1/webhooks/{id}'] = {
    get: {
      summary: 'One endpoint (another tenant’s is not found).',
      tags,
      parameters: [idParam],
      responses: {
        200: json('The endpoint.', schema(WebhookBody)),
        ...problems('GET /v1/webhooks/{id}'),
      },
    },
    patch: {
      summary: 'Change the URL, the event types or the description; switch it off or on.',
      tags,
      parameters: [idParam],
      requestBody: webhookBody(UpdateWebhookBody),
      responses: {
        200: json('The endpoint as changed.', schema(WebhookBody)),
        ...problems('PATCH /v1/webhooks/{id}'),
      },
    },
    delete: {
      summary: 'Delete the endpoint and its delivery log; deliveries under way stop.',
      tags,
      parameters: [idParam],
      responses: {
        200: json('The deleted endpoint.', schema(WebhookBody)),
        ...problems('DELETE /v1/webhooks/{id}'),
      },
    },
  };
  paths['/v1/webhooks/{id}/rotate-secret'] = {
    post: {
      summary:
        'A new signing secret, shown this once; the previous one keeps signing beside it for `overlapSeconds`.',
      tags,
      parameters: [idParam],
      requestBody: requestBody(RotateSecretBody),
      responses: {
        200: json('The endpoint and its new `secret`.', schema(RotatedSecretBody)),
        ...problems('POST /v1/webhooks/{id}/rotate-secret'),
      },
    },
  };
  paths['/v1/webhooks/{id}/deliveries'] = {
    get: {
      summary: 'The delivery log: one entry per event sent to this endpoint, newest first.',
      tags,
      parameters: [
        idParam,
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: MAX_DELIVERIES_PER_PAGE, default: 50 },
        },
        {
          name: 'before',
          in: 'query',
          description: 'A delivery id: the page after it (`next` of the previous page).',
          schema: { type: 'string' },
        },
      ],
      responses: {
        200: json('A page of deliveries.', schema(DeliveryListBody)),
        ...problems('GET /v1/webhooks/{id}/deliveries'),
      },
    },
  };
  paths['/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver'] = {
    post: {
      summary:
        'Send a delivery’s event again (same `webhook-id`), on the full retry schedule; refused while it is pending.',
      tags,
      parameters: [idParam, deliveryIdParam],
      responses: {
        202: json('The delivery, pending again.', schema(DeliveryBody)),
        ...problems('POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver'),
      },
    },
  };
  return paths;
}

/**
 * An endpoint's body, its `url` limited to http(s) (any case) as the server checks it after
 * parsing (400 `webhook-url-refused`); the zod schema only asks for an absolute URL.
 */
function webhookBody(body: z.ZodType): Json {
  const json = requestBody(body);
  const object = ((json.content as Json)['application/json'] as Json).schema as Json;
  const url = (object.properties as Json).url as Json;
  url.format = 'uri';
  url.pattern = '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+';
  return json;
}
