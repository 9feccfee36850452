import Type, { type Static } from 'typebox'

const L = Type.Literal
const Intent = Type.Union([L('opt_out'), L('help'), L('opt_in'), L('confirm'), L('none')])
const Action = Type.Union([
  L('opt_out'),
  L('help'),
  L('confirm_double_opt_in'),
  L('resubscribe'),
  L('conversation'),
])
const ReplyKind = Type.Union([
  L('opt_out_confirmation'),
  L('help'),
  L('welcome'),
  L('resubscribe_confirmation'),
])

// An Attune endpoint: unknown fields are refused, so a typo ("form") is a 400 rather than a silent default.
export const SandboxInboundBodySchema = Type.Object(
  {
    from: Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        "the sender's phone, E.164 such as +17707651750 (a national number is read in the company's country)",
    }),
    to: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          "the company number texted, E.164 or a short code such as 12345 (default: the company's sandbox sender)",
      }),
    ),
    body: Type.String({
      maxLength: 1600,
      description: 'the text as the person typed it, at most 1600 characters',
    }),
    providerId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: "the carrier's id of the inbound message; a repeat of one id is acted on once",
      }),
    ),
  },
  { additionalProperties: false },
)
export type SandboxInboundBody = Static<typeof SandboxInboundBodySchema>

/** What an inbound text did, as `POST /v1/sandbox/inbound` answers it. */
export const InboundResultSchema = Type.Object({
  id: Type.String({ description: 'the inbound message id' }),
  from: Type.String(),
  to: Type.String(),
  body: Type.String(),
  receivedAt: Type.String({ format: 'date-time' }),
  intent: Intent,
  action: Action,
  subscriberId: Type.Integer({
    description: "the sender's profile (webhook payloads' subscriber.external_id)",
  }),
  duplicate: Type.Boolean({
    description: 'true when this providerId was received before: nothing was done again',
  }),
  replies: Type.Array(
    Type.Object({
      id: Type.String({ description: 'the queued message id (GET /v1/messages/{id})' }),
      kind: ReplyKind,
      body: Type.String(),
    }),
  ),
})
