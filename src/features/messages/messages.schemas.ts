import Type, { type Static } from 'typebox'

const Phone = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'a phone number in E.164 such as +17707651750',
})
const Body = Type.String({
  minLength: 1,
  maxLength: 1600,
  description: 'the text of the message, 1-1,600 characters',
})
const MediaUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'an http(s) URL of a gif, png or jpg image under 500 KB',
})
const SubscriptionType = Type.Union([Type.Literal('MARKETING'), Type.Literal('TRANSACTIONAL')], {
  description: 'MARKETING or TRANSACTIONAL',
})
const Timestamp = Type.String({ format: 'date-time' })
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** `POST /v1/text/send` and each item of `send-bulk` (ATTENTIVE_API.md §2.11); unknown fields are ignored. */
export const TextSendSchema = Type.Object({
  to: Type.Optional(Nullable(Phone)),
  subscriberExternalId: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description: "the subscriber's external_id",
      }),
    ),
  ),
  subscriptionType: SubscriptionType,
  body: Body,
  mediaUrl: Type.Optional(MediaUrl),
  useShortLinks: Type.Optional(Type.Boolean()),
  messageName: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 255 }))),
  skipFatigue: Type.Optional(Type.Boolean({ description: 'default true' })),
  forceSend: Type.Optional(Type.Boolean()),
  addSubscriber: Type.Optional(Type.Boolean()),
})
export type TextSend = Static<typeof TextSendSchema>

/** `POST /v1/text/send-bulk`: up to 1,000 send objects, each validated on its own. */
export const TextSendBulkSchema = Type.Array(Type.Object({}), { minItems: 1, maxItems: 1000 })

/** The answer of `POST /v1/text/send`: the normalised request plus `messageId`. */
export const TextSendResponseSchema = Type.Object({
  messageId: Type.String(),
  to: Type.String(),
  subscriptionType: SubscriptionType,
  body: Type.String(),
  skipFatigue: Type.Boolean(),
  mediaUrl: Type.Optional(Type.String()),
  useShortLinks: Type.Optional(Type.Boolean()),
  messageName: Type.Optional(Nullable(Type.String())),
  forceSend: Type.Optional(Type.Boolean()),
  addSubscriber: Type.Optional(Type.Boolean()),
})

/** The answer of `POST /v1/text/send-bulk` ([OA]'s MessageBulkFailureObjectDto for failures). */
export const TextSendBulkResponseSchema = Type.Object({
  messages: Type.Array(Type.Object({ messageId: Type.String(), to: Type.String() })),
  failures: Type.Array(Type.Object({ originalRequest: Type.Unknown(), reason: Type.String() })),
})

/** The archived `POST /v1/messages` (seed 002). */
export const LegacyMessageSchema = Type.Object({
  to: Phone,
  body: Body,
  messageId: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Integer({ minimum: 0 })], {
      description: 'your id for the message, a string such as "123456789": a retry with it sends nothing new',
    }),
  ),
  type: Type.Optional(
    Type.Literal('TRANSACTIONAL', { description: 'TRANSACTIONAL (case-sensitive), or absent for marketing' }),
  ),
  mediaUrl: Type.Optional(MediaUrl),
})
export type LegacyMessage = Static<typeof LegacyMessageSchema>

/** Seed 002's answer: the fields as sent. */
export const LegacyMessageResponseSchema = Type.Object({
  to: Type.String(),
  body: Type.String(),
  messageId: Type.Optional(Type.String()),
})

/** `POST /v1/subscriptions/messages`, the call Annex Cloud makes (seed 004, ATTENTIVE_API.md §5.1). */
export const SubscriptionMessageSchema = Type.Object({
  to: Phone,
  body: Body,
  type: Type.Optional(SubscriptionType),
  mediaUrl: Type.Optional(MediaUrl),
  skipFatigue: Type.Optional(Type.Boolean({ description: 'default true' })),
  createShortLink: Type.Optional(Type.Boolean({ description: 'default false' })),
  addSubscriber: Type.Optional(
    Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')], {
      description: 'true or false, default "true"',
    }),
  ),
})
export type SubscriptionMessage = Static<typeof SubscriptionMessageSchema>

/** Seed 004's answer, in its key order. */
export const SubscriptionMessageResponseSchema = Type.Object({
  type: Type.Literal('v1'),
  to: Type.String(),
  body: Type.String(),
  skipFatigue: Type.Boolean(),
  createShortLink: Type.Boolean(),
  addSubscriber: Type.Union([Type.Literal('true'), Type.Literal('false')]),
})

/** The message id in `/v1/messages/{id}`. */
export const MessageParams = Type.Object({
  id: Type.String({ maxLength: 64, description: 'a message id such as MDc6TWVzc2FnZTEyNzI1MA' }),
})

/** A message and its state history (Attune addition). */
export const MessageSchema = Type.Object({
  id: Type.String(),
  to: Type.String(),
  from: Nullable(Type.String()),
  channel: Type.String(),
  subscriptionType: SubscriptionType,
  type: Type.String({
    description:
      'ONE_TIME, AUTOMATED, AUTOMATED_TRANSACTIONAL, AUTO_RESPONSE, CONFIRM_OPT_IN, OPT_OUT or HELP',
  }),
  origin: Type.String(),
  messageName: Nullable(Type.String()),
  body: Type.String(),
  mediaUrl: Nullable(Type.String()),
  segments: Type.Integer(),
  encoding: Type.String(),
  state: Type.String(),
  suppressedReason: Nullable(Type.String()),
  holdUntil: Nullable(Timestamp),
  providerId: Nullable(Type.String()),
  clientMessageId: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  history: Type.Array(
    Type.Object({
      state: Type.String(),
      at: Timestamp,
      detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
})

/** Filters of `GET /v1/sandbox/messages`. */
export const SandboxQuerySchema = Type.Object({
  to: Type.Optional(
    Type.String({ maxLength: 64, description: 'only messages to this number (E.164, + as %2B)' }),
  ),
  since: Type.Optional(
    Type.String({ format: 'date-time', description: 'only messages handed over at or after this instant' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
})

/** One message the sandbox carrier was handed. */
export const SandboxMessageSchema = Type.Object({
  id: Type.String(),
  to: Type.String(),
  from: Type.String(),
  body: Type.String(),
  mediaUrl: Nullable(Type.String()),
  state: Type.String(),
  segments: Type.Integer(),
  encoding: Type.String(),
  providerId: Type.String(),
  submissions: Type.Integer(),
  submittedAt: Timestamp,
})

/** The code of a short link (`/s/{code}`). */
export const LinkParams = Type.Object({ code: Type.String({ maxLength: 64 }) })
