import Type from 'typebox'

const Channel = Type.Union([Type.Literal('TEXT'), Type.Literal('EMAIL')])
const ConsentTypeSchema = Type.Union([Type.Literal('MARKETING'), Type.Literal('TRANSACTIONAL')])
const State = Type.Union([Type.Literal('PENDING'), Type.Literal('SUBSCRIBED'), Type.Literal('UNSUBSCRIBED')])
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const UserIdParams = Type.Object({
  id: Type.String({ maxLength: 64, description: 'a user id such as MDQ6VXNlcjE' }),
})

export const UsersQuerySchema = Type.Object({
  phone: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.Optional(Type.String({ maxLength: 254 })),
  clientUserId: Type.Optional(Type.String({ maxLength: 100 })),
})

const IdentifiersSchema = Type.Object({
  phones: Type.Array(Type.String()),
  emails: Type.Array(Type.String()),
  clientUserIds: Type.Array(Type.String()),
  shopifyIds: Type.Array(Type.String()),
  klaviyoIds: Type.Array(Type.String()),
  customIdentifiers: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
})

const ConsentSchema = Type.Object({
  channel: Channel,
  type: ConsentTypeSchema,
  state: State,
  address: Type.String(),
  signUpSourceId: Nullable(Type.String()),
  changedAt: Type.String({ format: 'date-time' }),
})

/** One ledger row as the API shows it. */
export const LedgerEntrySchema = Type.Object({
  id: Type.Integer(),
  occurredAt: Type.String({ format: 'date-time' }),
  recordedAt: Type.String({ format: 'date-time' }),
  channel: Channel,
  type: ConsentTypeSchema,
  address: Type.String(),
  addressAsGiven: Nullable(Type.String()),
  previousState: Nullable(State),
  newState: State,
  reason: Type.String(),
  actor: Type.Object({ kind: Type.String(), id: Nullable(Type.String()) }),
  signUpSource: Nullable(Type.Object({ id: Type.String(), name: Nullable(Type.String()) })),
  disclosure: Nullable(Type.Object({ version: Type.Integer(), text: Nullable(Type.String()) })),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  messageId: Nullable(Type.String()),
  recordedUnder: Type.String({
    description: 'the profile the row was written under (a merged one keeps its id)',
  }),
})

export const ProfileSchema = Type.Object({
  id: Type.String(),
  externalId: Type.Integer({ description: 'the numeric id webhooks send as subscriber.external_id' }),
  identifiers: IdentifiersSchema,
  attributes: Type.Record(Type.String(), Type.String()),
  consents: Type.Array(ConsentSchema),
  ledger: Type.Array(LedgerEntrySchema),
  mergedFrom: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const ConsentEvidenceSchema = Type.Object({
  generatedAt: Type.String({ format: 'date-time' }),
  user: Type.Object({ id: Type.String(), externalId: Type.Integer(), identifiers: IdentifiersSchema }),
  consents: Type.Array(
    Type.Object({
      channel: Channel,
      type: ConsentTypeSchema,
      currentState: State,
      address: Type.String(),
      evidence: Type.Array(LedgerEntrySchema),
    }),
  ),
  merges: Type.Array(
    Type.Object({
      mergedUserId: Type.String(),
      reason: Type.String(),
      mergedAt: Type.String({ format: 'date-time' }),
    }),
  ),
})
