import Type, { type Static } from 'typebox'

export const ConversationQuerySchema = Type.Object(
  {
    phone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: "the person's number, E.164 such as +17707651750 (+ as %2B) or national",
    }),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'an integer 1-200' }),
    before: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'only entries older than this RFC 3339 instant (paging back)',
      }),
    ),
  },
  { additionalProperties: false },
)
export type ConversationQuery = Static<typeof ConversationQuerySchema>

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** The two-way conversation with one number, newest first. */
export const ConversationSchema = Type.Object({
  phone: Type.String(),
  subscriberId: Nullable(Type.Integer({ description: "the number's profile, when there is one" })),
  entries: Type.Array(
    Type.Object({
      direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
      id: Type.String({ description: 'an inbound message id, or a message id (GET /v1/messages/{id})' }),
      at: Type.String({ format: 'date-time' }),
      from: Nullable(Type.String()),
      to: Type.String(),
      body: Type.String(),
      kind: Type.String({
        description:
          'inbound: what the text was read as (opt_out, help, ...); outbound: ONE_TIME, OPT_OUT, ...',
      }),
      state: Nullable(Type.String({ description: 'outbound: queued, sent, delivered, suppressed, ...' })),
    }),
  ),
})
