import Type, { type Static } from 'typebox'

// Attentive-compatible bodies: unknown fields are accepted and ignored, even inside `user` (ATTENTIVE_API.md
// §1.7, tolerated variations), so no object here closes its properties. Every string and array is bounded.

const IdValue = Type.Union([Type.String({ maxLength: 100 }), Type.Number(), Type.Null()], {
  description: 'a string (a number is read as its digits); null or "" counts as absent',
})

const CustomIdentifierEntry = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'accepted as an alias of name' })),
  value: IdValue,
})

const ExternalIdentifiersSchema = Type.Object({
  clientUserId: Type.Optional(IdValue),
  shopifyId: Type.Optional(IdValue),
  klaviyoId: Type.Optional(IdValue),
  customIdentifiers: Type.Optional(
    Type.Union(
      [
        Type.Array(CustomIdentifierEntry, { maxItems: 20 }),
        Type.Record(Type.String({ maxLength: 100 }), IdValue, { maxProperties: 20 }),
      ],
      { description: '[{name, value}], [{key, value}] or a {name: value} map' },
    ),
  ),
})

/** Attentive's EventUser: at least one of phone, email or an external identifier. */
export const EventUserSchema = Type.Object(
  {
    phone: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'E.164 such as +13115552368' })),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()], { description: 'an address such as name@example.com' })),
    externalIdentifiers: Type.Optional(ExternalIdentifiersSchema),
  },
  { minProperties: 1, description: 'an object with phone, email or externalIdentifiers' },
)
export type EventUserBody = Static<typeof EventUserSchema>

const OccurredAt = Type.String({ maxLength: 64, description: 'RFC 3339 such as 2021-03-30T14:38:29Z' })

const Common = {
  occurredAt: Type.Optional(OccurredAt),
  occuredAt: Type.Optional(Type.String({ maxLength: 64, description: 'a misspelling of occurredAt, accepted as it' })),
  user: EventUserSchema,
}

/** `POST /v1/events/custom` (ATTENTIVE_API.md §2.3). */
export const CustomEventSchema = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 255, description: 'an event name without " \' ( ) { } [ ] \\ | ,' }),
  properties: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'a JSON object' })),
  externalEventId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'a unique id such as a UUID' })),
  ...Common,
})
export type CustomEventBody = Static<typeof CustomEventSchema>

const DecimalValue = Type.Union([Type.Number(), Type.String({ maxLength: 32 })], {
  description: 'a decimal number such as 19.99 or "19.99"',
})
const PriceObject = Type.Object({
  value: DecimalValue,
  currency: Type.Optional(Type.String({ maxLength: 16, description: 'an ISO 4217 code such as USD' })),
})

const ItemSchema = Type.Object({
  productId: Type.String({ minLength: 1, maxLength: 255 }),
  productVariantId: Type.String({ minLength: 1, maxLength: 255 }),
  price: Type.Union([Type.Array(PriceObject, { minItems: 1, maxItems: 20 }), PriceObject, DecimalValue], {
    description: '[{"value": 19.99, "currency": "USD"}]',
  }),
  productImage: Type.Optional(Type.String({ maxLength: 2048 })),
  productUrl: Type.Optional(Type.String({ maxLength: 2048 })),
  name: Type.Optional(Type.String({ maxLength: 1000 })),
  quantity: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), Type.String({ maxLength: 16 })], {
      description: 'a whole number such as 2 or "2"',
    }),
  ),
})

/** `POST /v1/events/ecommerce/product-view | add-to-cart | purchase` (ATTENTIVE_API.md §2.5). */
export const EcommerceEventSchema = Type.Object({
  items: Type.Array(ItemSchema, { minItems: 1, maxItems: 200 }),
  orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'purchase only' })),
  salesChannel: Type.Optional(
    Type.Object({
      channelType: Type.Optional(
        Type.Union(['WEB', 'IOS_APP', 'ANDROID_APP', 'IN_STORE', 'PHONE', 'OTHER', ''].map((v) => Type.Literal(v))),
      ),
    }),
  ),
  ...Common,
})
export type EcommerceEventBody = Static<typeof EcommerceEventSchema>

/** What one batch item names in `kind`; the rest of the item is the single endpoint's body. */
export const BATCH_KINDS = ['custom', 'product-view', 'add-to-cart', 'purchase'] as const
export type BatchKind = (typeof BATCH_KINDS)[number]

/** Most events one batch request may carry. */
export const MAX_BATCH = 1000

/**
 * `POST /v1/events/batch` (Attune addition). Items are checked one by one in the handler, not here, so that even
 * an item without a kind, or not an object at all, is reported alone and the others are stored.
 */
export const BatchSchema = Type.Object({
  events: Type.Array(Type.Unknown({ description: "{kind: custom | product-view | add-to-cart | purchase, ...the single endpoint's body}" }), {
    minItems: 1,
    maxItems: MAX_BATCH,
  }),
})
export type BatchBody = Static<typeof BatchSchema>

const ErrorDetail = Type.Object({
  code: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
  details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
})

/** One item's outcome: 200 stored (or a repeat of a stored externalEventId), or its 4xx with the error. */
export const BatchResultSchema = Type.Object({
  index: Type.Integer(),
  status: Type.Integer(),
  error: Type.Optional(ErrorDetail),
})

export const BatchResponseSchema = Type.Object({ results: Type.Array(BatchResultSchema) })

/** Attentive's empty 200 body for events (ATTENTIVE_API.md §1.3). */
export const EmptySchema = Type.Object({})

export const UserEventsParams = Type.Object({
  userId: Type.String({ maxLength: 64, description: 'a user id such as MDQ6VXNlcjQy' }),
})

export const UserEventsQuery = Type.Object({
  type: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'a custom event type, or product_view, add_to_cart, purchase' })),
  since: Type.Optional(Type.String({ maxLength: 64, format: 'date-time', description: 'RFC 3339: only events that occurred at or after it' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'the cursor of the previous page' })),
})
export type UserEventsQueryType = Static<typeof UserEventsQuery>

/** One event as the read endpoint shows it. */
export const ApiEventSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('custom'), Type.Literal('product_view'), Type.Literal('add_to_cart'), Type.Literal('purchase')]),
  type: Type.String(),
  occurredAt: Type.String({ format: 'date-time' }),
  receivedAt: Type.String({ format: 'date-time' }),
  externalEventId: Type.Union([Type.String(), Type.Null()]),
  properties: Type.Object({}, { additionalProperties: true }),
  value: Type.Union([Type.String(), Type.Null()]),
  currency: Type.Union([Type.String(), Type.Null()]),
})

export const UserEventsResponseSchema = Type.Object({
  events: Type.Array(ApiEventSchema),
  cursor: Type.Union([Type.String(), Type.Null()]),
  hasMore: Type.Boolean(),
})
