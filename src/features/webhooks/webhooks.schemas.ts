import Type, { type Static } from 'typebox'
import { ErrorResponseSchema } from '../../http/openapi.ts'

/** Route configs of the webhook endpoints: a company key with webhooks:read or webhooks:write. */
export const READ = { auth: 'key' as const, scope: 'webhooks:read' as const }
export const WRITE = { auth: 'key' as const, scope: 'webhooks:write' as const }
/** The error answers every webhook endpoint documents. */
export const ERROR_RESPONSES = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 429: ErrorResponseSchema }
/** The same for an endpoint naming a webhook (or a delivery) in its path, which may not exist. */
export const PATH_ERROR_RESPONSES = { ...ERROR_RESPONSES, 404: ErrorResponseSchema }

const WebhookId = Type.String({ minLength: 1, maxLength: 64, description: 'a webhook id such as MjU6Q29tcGFueUFwcGxpY2F0aW9uV2ViaG9vazIy' })
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'an https URL such as https://example.com/webhooks' })
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 100, description: 'an event name such as sms.subscribed' }), {
  minItems: 1,
  maxItems: 50,
  description: 'a list of event names such as ["sms.subscribed","sms.sent"]',
})
const WebhookType = Type.Union([Type.Literal('INSTALLED'), Type.Literal('CREATOR')])
const DisabledAt = Type.String({ description: 'YYYY-MM-DD hh:mm:ss, UTC' })

export const WebhookParams = Type.Object({ webhookId: WebhookId })
export const DeliveryParams = Type.Object({
  webhookId: WebhookId,
  deliveryId: Type.String({ format: 'uuid', description: 'a delivery id (the webhook-id header), a UUID' }),
})

// Attentive-compatible bodies accept and ignore unknown fields (docs/adr/0004-validation.md).
export const CreateWebhookSchema = Type.Object({ url: Url, events: Events })
export type CreateWebhook = Static<typeof CreateWebhookSchema>

export const UpdateWebhookSchema = Type.Object({
  url: Type.Optional(Url),
  events: Type.Optional(Events),
  disabled: Type.Optional(Type.Boolean({ description: 'true pauses the webhook, false resumes it' })),
})
export type UpdateWebhook = Static<typeof UpdateWebhookSchema>

/** The create and update answer; `secret` only in the create answer (Attune addition, shown once). */
export const WebhookSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  type: WebhookType,
  disabledAt: Type.Optional(DisabledAt),
  secret: Type.Optional(Type.String({ description: 'the signing secret, shown only here (Attune addition)' })),
})

export const WebhookListSchema = Type.Object({
  webhooks: Type.Array(
    Type.Object({
      id: Type.String(),
      url: Type.String(),
      type: Type.Union([Type.Literal('SUBSCRIPTION'), Type.Literal('STATIC')]),
      events: Type.Array(Type.String()),
      companyId: Type.String(),
      disabledAt: Type.Optional(DisabledAt),
    }),
  ),
})

export const RotateSecretSchema = Type.Object(
  {
    overlapSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 604_800, description: 'seconds the old secret keeps signing, 0-604800 (default 86400)' }),
    ),
  },
  { additionalProperties: false },
)

export const RotatedSecretSchema = Type.Object({
  id: Type.String(),
  secret: Type.String(),
  previousSecretExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})

const Status = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')])
const Timestamp = Type.String({ format: 'date-time', description: 'an RFC 3339 time such as 2026-01-15T15:00:00Z' })

export const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(Status),
    since: Type.Optional(Timestamp),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'an integer 1-1000' }),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', description: 'the nextCursor of the previous page' })),
  },
  { additionalProperties: false },
)

const Delivery = Type.Object({
  id: Type.String({ description: 'the webhook-id header the receiver got' }),
  eventType: Type.String(),
  status: Status,
  attempts: Type.Integer(),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  latencyMs: Type.Union([Type.Integer(), Type.Null()]),
  occurredAt: Type.String({ format: 'date-time' }),
  firstAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})

export const DeliveryListSchema = Type.Object({
  deliveries: Type.Array(Delivery),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})

export const DeliveryDetailSchema = Type.Object({
  delivery: Delivery,
  attempts: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      attemptedAt: Type.String({ format: 'date-time' }),
      statusCode: Type.Union([Type.Integer(), Type.Null()]),
      latencyMs: Type.Integer(),
      error: Type.Union([Type.String(), Type.Null()]),
      responseExcerpt: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
})

export const ReplayRangeSchema = Type.Object(
  { from: Timestamp, to: Timestamp },
  { additionalProperties: false },
)

export const ReplayedSchema = Type.Object({ replayed: Type.Integer({ description: 'deliveries made due again' }) })

export const NoticeListSchema = Type.Object({
  notices: Type.Array(
    Type.Object({
      kind: Type.Union([Type.Literal('failing'), Type.Literal('disabled_failing'), Type.Literal('disabled_gone')]),
      message: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  ),
})
