import type { App } from '../../app.ts'
import { phoneErrorMessage } from '../../compliance/phone.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../http/errors.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { sandboxSender } from '../../carriers/sandbox.ts'
import { phoneField } from '../users/identifiers.ts'
import { InboundResultSchema, SandboxInboundBodySchema } from './inbound.schemas.ts'
import { handleInbound, type InboundOutcome } from './inbound.service.ts'

// A short code: 5 or 6 digits in the US and Canada, 5 in the UK (sandbox senders are 5 digits and up).
const SHORT_CODE = /^\d{5,8}$/

/** `POST /v1/sandbox/inbound`'s answer: the stored text, what it was read as, and the replies it queued. */
export function toApiInbound(outcome: InboundOutcome) {
  const { row } = outcome
  return {
    id: encodeObjectId('InboundMessage', row.id),
    from: row.from_address,
    to: row.to_address,
    body: row.body,
    receivedAt: row.received_at.toISOString(),
    intent: row.intent,
    action: row.action,
    subscriberId: row.user_id ?? 0,
    duplicate: outcome.duplicate,
    replies: outcome.replies.map((reply) => ({
      id: encodeObjectId('Message', reply.messageId),
      kind: reply.kind,
      body: reply.body,
    })),
  }
}

/** A phone field that must be present, normalised to E.164; the catalogue's 400 naming `field` otherwise. */
export function requiredPhone(field: string, input: string, country: string | undefined): string {
  const phone = phoneField(input, field, country)
  if (phone === undefined)
    throw new AppError('invalid_phone', phoneErrorMessage(field, input, 'is empty'), { field })
  return phone
}

/** The sandbox carrier's inbound side: a simulated reply, handled exactly as a real carrier's inbound text. */
export async function inboundRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/v1/sandbox/inbound',
    {
      config: { auth: 'key', scope: 'messages:write' },
      schema: {
        tags: ['Attune addition'],
        summary:
          'Simulate a text from a person to the company (keywords, double opt-in replies, conversation)',
        body: SandboxInboundBodySchema,
        response: {
          201: InboundResultSchema,
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          429: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { company } = request.apiKey
      const { body } = request
      const from = requiredPhone('from', body.from, company.settings.defaultCountry)
      const to =
        body.to === undefined
          ? sandboxSender(company.id)
          : SHORT_CODE.test(body.to.trim())
            ? body.to.trim()
            : requiredPhone('to', body.to, company.settings.defaultCountry)
      const outcome = await deps.db
        .transaction()
        .execute((tx) =>
          handleInbound(
            tx,
            company.id,
            { from, to, body: body.body, providerId: body.providerId },
            deps.clock.now(),
          ),
        )
      return reply.status(201).send(toApiInbound(outcome))
    },
  )
}
