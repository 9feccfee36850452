import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { checkMediaUrl } from './media.ts'
import {
  LegacyMessageResponseSchema,
  LegacyMessageSchema,
  SubscriptionMessageResponseSchema,
  SubscriptionMessageSchema,
} from './messages.schemas.ts'
import { sendText, type SendRequest } from './send.service.ts'
import { sendContext } from './text-send.ts'

// Legacy tokens answer a bad token with 403, as seed 002 documents (ATTENTIVE_API.md §2.12; http/auth.ts).
const write = { auth: 'key' as const, legacy: true, scope: 'messages:write' as const }
const tags = ['Attentive-compatible']
const errors = {
  400: ErrorResponseSchema,
  403: ErrorResponseSchema,
  404: ErrorResponseSchema,
  422: ErrorResponseSchema,
  429: ErrorResponseSchema,
}

/**
 * The legacy send paths integrators still call: the archived `POST /v1/messages` (seed 002) and
 * `POST /v1/subscriptions/messages` (Annex Cloud, seed 004). Both take Liquid bodies and prepend the company name,
 * as Attentive's legacy API does ("automatically prepends the customer's name to all outgoing messages").
 */
export async function legacyMessageRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  /** Checks the media, then sends in one transaction; throws the refusal when the send was not queued. */
  async function sendLegacy(request: Parameters<typeof sendContext>[0], send: SendRequest, mediaUrl: string | undefined) {
    if (mediaUrl) await checkMediaUrl(mediaUrl, 'mediaUrl', { allowPrivate: deps.config.mediaAllowPrivate })
    const ctx = sendContext(request, deps)
    const outcome = await deps.db.transaction().execute((tx) => sendText(tx, ctx, send))
    if (!outcome.ok) throw outcome.error
    return outcome
  }

  app.post(
    '/v1/messages',
    {
      config: write,
      schema: {
        tags,
        summary:
          'Archived Messages API: text an opted-in subscriber; messageId makes a retry send nothing new',
        body: LegacyMessageSchema,
        response: { 200: LegacyMessageResponseSchema, ...errors },
      },
    },
    async (request) => {
      const body = request.body
      const messageId = body.messageId === undefined ? undefined : String(body.messageId)
      const send: SendRequest = {
        toField: 'to',
        to: body.to,
        type: body.type ?? 'MARKETING',
        body: body.body,
        liquid: true,
        prefixCompanyName: true,
        mediaUrl: body.mediaUrl,
        skipFatigue: false,
        shortLinks: false,
        overrideAsked: false,
        addSubscriber: false,
        unmatchedIs404: true,
        clientMessageId: messageId,
      }
      await sendLegacy(request, send, body.mediaUrl)
      return { to: body.to, body: body.body, ...(messageId !== undefined ? { messageId } : {}) }
    },
  )

  app.post(
    '/v1/subscriptions/messages',
    {
      config: write,
      schema: {
        tags,
        summary:
          'Legacy send as Annex Cloud calls it; the answer echoes the request with the number in E.164',
        body: SubscriptionMessageSchema,
        response: { 200: SubscriptionMessageResponseSchema, ...errors },
      },
    },
    async (request) => {
      const body = request.body
      const addSubscriber =
        body.addSubscriber === undefined ? true : body.addSubscriber === true || body.addSubscriber === 'true'
      const skipFatigue = body.skipFatigue ?? true
      const createShortLink = body.createShortLink ?? false
      const send: SendRequest = {
        toField: 'to',
        to: body.to,
        type: body.type ?? 'MARKETING',
        body: body.body,
        liquid: true,
        prefixCompanyName: true,
        mediaUrl: body.mediaUrl,
        skipFatigue,
        shortLinks: createShortLink,
        overrideAsked: body.addSubscriber === true || body.addSubscriber === 'true',
        addSubscriber,
        unmatchedIs404: false,
      }
      const outcome = await sendLegacy(request, send, body.mediaUrl)
      return {
        type: 'v1' as const,
        to: outcome.to,
        body: body.body,
        skipFatigue,
        createShortLink,
        addSubscriber: addSubscriber ? ('true' as const) : ('false' as const),
      }
    },
  )
}
