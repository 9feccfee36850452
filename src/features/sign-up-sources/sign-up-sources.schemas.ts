import Type, { type Static } from 'typebox'

const ChannelSchema = Type.Union([Type.Literal('TEXT'), Type.Literal('EMAIL')], {
  description: 'TEXT or EMAIL',
})
const TypeSchema = Type.Union([Type.Literal('MARKETING'), Type.Literal('TRANSACTIONAL')], {
  description: 'MARKETING or TRANSACTIONAL',
})
const Channels = Type.Array(ChannelSchema, { minItems: 1, maxItems: 2, uniqueItems: true })
const LocaleSchema = Type.Object(
  {
    language: Type.String({ pattern: '^[a-z]{2}$', description: 'an ISO 639-1 code such as en' }),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'an ISO 3166-1 alpha-2 code such as US' }),
  },
  { additionalProperties: false },
)
const Template = Type.String({
  minLength: 1,
  maxLength: 1600,
  description: 'a Liquid template of at most 1,600 characters',
})
const Disclosure = Type.String({ maxLength: 4000, description: 'the legal disclosure shown at sign-up' })

export const SignUpSourceIdParams = Type.Object({
  id: Type.String({ maxLength: 64, description: 'a sign-up source id such as 132109' }),
})

export const CreateSignUpSourceSchema = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}$',
        description: 'letters, digits, - or _, up to 64, such as 132109',
      }),
    ),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    channels: Channels,
    type: TypeSchema,
    locale: Type.Optional(LocaleSchema),
    disclosure: Type.Optional(Disclosure),
    doubleOptIn: Type.Optional(
      Type.Boolean({ description: 'TEXT sign-ups wait for a "Y" reply; default true' }),
    ),
    optInRequestText: Type.Optional(Template),
    welcomeText: Type.Optional(Template),
  },
  { additionalProperties: false },
)
export type CreateSignUpSource = Static<typeof CreateSignUpSourceSchema>

export const UpdateSignUpSourceSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    channels: Type.Optional(Channels),
    type: Type.Optional(TypeSchema),
    locale: Type.Optional(Type.Union([LocaleSchema, Type.Null()])),
    disclosure: Type.Optional(Disclosure),
    doubleOptIn: Type.Optional(Type.Boolean()),
    optInRequestText: Type.Optional(Template),
    welcomeText: Type.Optional(Template),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateSignUpSource = Static<typeof UpdateSignUpSourceSchema>

export const SignUpSourceSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  channels: Type.Array(ChannelSchema),
  type: TypeSchema,
  locale: Type.Union([LocaleSchema, Type.Null()]),
  disclosure: Type.String(),
  disclosureVersion: Type.Integer(),
  doubleOptIn: Type.Boolean(),
  optInRequestText: Type.String(),
  welcomeText: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
