import Type, { type Static } from 'typebox'
import { ExternalIdentifiersSchema } from '../users/identifiers.ts'

// Attentive-compatible: unknown fields are accepted and ignored (ATTENTIVE_API.md §1.7), so no object here sets
// additionalProperties:false.

const ChannelSchema = Type.Union([Type.Literal('TEXT'), Type.Literal('EMAIL')], {
  description: 'TEXT or EMAIL',
})
const TypeSchema = Type.Union([Type.Literal('MARKETING'), Type.Literal('TRANSACTIONAL')], {
  description: 'MARKETING or TRANSACTIONAL',
})
const ResponseTypeSchema = Type.Union([
  Type.Literal('MARKETING'),
  Type.Literal('TRANSACTIONAL'),
  Type.Literal('CHECKOUT_ABANDONED'),
])
const Nullable = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]))

/** `user` of subscribe and unsubscribe: a phone, an email, or both. */
export const SubscriptionUserSchema = Type.Object({ phone: Nullable(64), email: Nullable(254) })

const LocaleSchema = Type.Union(
  [
    Type.Object({
      language: Type.String({ maxLength: 8, description: 'an ISO 639-1 code such as en' }),
      country: Type.String({ maxLength: 8, description: 'an ISO 3166-1 alpha-2 code such as US' }),
    }),
    Type.String({ pattern: '^[a-z]{2}[-_][A-Z]{2}$', description: 'en-US or en_US' }),
  ],
  { description: '{"language": "en", "country": "US"}' },
)

export const SubscribeBodySchema = Type.Object({
  user: SubscriptionUserSchema,
  signUpSourceId: Type.Optional(
    Type.Union([Type.String({ maxLength: 64 }), Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'the id of a sign-up source, such as "132109"',
    }),
  ),
  locale: Type.Optional(LocaleSchema),
  subscriptionType: Type.Optional(TypeSchema),
  singleOptIn: Type.Optional(Type.Boolean()),
  externalIdentifiers: Type.Optional(ExternalIdentifiersSchema),
})
export type SubscribeBody = Static<typeof SubscribeBodySchema>

const PairSchema = Type.Object({ type: TypeSchema, channel: ChannelSchema })

export const UnsubscribeBodySchema = Type.Object({
  user: SubscriptionUserSchema,
  subscriptions: Type.Optional(Type.Array(PairSchema, { maxItems: 10 })),
  notification: Type.Optional(
    Type.Object({
      language: Type.Optional(
        Type.Union([Type.Literal('en-US'), Type.Literal('fr-CA')], { description: 'en-US or fr-CA' }),
      ),
      disabled: Type.Optional(Type.Boolean()),
    }),
  ),
})
export type UnsubscribeBody = Static<typeof UnsubscribeBodySchema>

export const SubscriptionQuerySchema = Type.Object({
  phone: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.Optional(Type.String({ maxLength: 254 })),
})

const SubscriptionSchema = Type.Object({ type: ResponseTypeSchema, channel: ChannelSchema })
const EchoUserSchema = Type.Object({
  phone: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
})

export const SubscribeResponseSchema = Type.Object({
  user: EchoUserSchema,
  externalIdentifiers: Type.Optional(Type.Unknown()),
  subscriptionResponses: Type.Array(
    Type.Object({
      subscription: SubscriptionSchema,
      subscriptionCreationStatus: Type.Union([
        Type.Literal('NEWLY_CREATED'),
        Type.Literal('PREVIOUSLY_CREATED'),
      ]),
    }),
  ),
})

export const UnsubscribeResponseSchema = Type.Object({
  user: EchoUserSchema,
  subscriptionResponses: Type.Array(
    Type.Object({
      subscription: SubscriptionSchema,
      subscriptionUnsubscribeStatus: Type.Union([
        Type.Literal('NEWLY_UNSUBSCRIBED'),
        Type.Literal('PREVIOUSLY_UNSUBSCRIBED'),
      ]),
    }),
  ),
})

export const EligibilityResponseSchema = Type.Object({
  subscriptionEligibilities: Type.Array(
    Type.Object({
      subscription: SubscriptionSchema,
      eligibility: Type.Object({ isEligible: Type.Boolean() }),
    }),
  ),
})
