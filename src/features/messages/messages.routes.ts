import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { phoneField, restorePlus } from '../users/identifiers.ts'
import { recordClick } from './links.service.ts'
import { checkMediaUrl } from './media.ts'
import {
  findMessage,
  listSandboxMessages,
  messageIdOf,
  toApiMessage,
  toApiSandboxMessage,
} from './messages.queries.ts'
import {
  LinkParams,
  MessageParams,
  MessageSchema,
  SandboxMessageSchema,
  SandboxQuerySchema,
  TextSendBulkResponseSchema,
  TextSendBulkSchema,
  TextSendResponseSchema,
  TextSendSchema,
} from './messages.schemas.ts'
import { sendText } from './send.service.ts'
import { sendBulk, sendContext, textSendRequest, toApiTextSend } from './text-send.ts'

const write = { auth: 'key' as const, scope: 'messages:write' as const }
const read = { auth: 'key' as const, scope: 'messages:read' as const }
const compatible = ['Attentive-compatible']
const addition = ['Attune addition']
const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 429: ErrorResponseSchema }

/** Attentive's Messages API (ATTENTIVE_API.md §2.11), a message's state, the sandbox's traffic, and short links. */
export async function messageRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/v1/text/send',
    {
      config: write,
      schema: {
        tags: compatible,
        summary:
          'Send one text to a subscriber; consent, quiet hours and the frequency cap are checked again when it leaves',
        body: TextSendSchema,
        response: { 200: TextSendResponseSchema, ...errors },
      },
    },
    async (request) => {
      const send = textSendRequest(request.body)
      if (send.mediaUrl)
        await checkMediaUrl(send.mediaUrl, 'mediaUrl', { allowPrivate: deps.config.mediaAllowPrivate })
      const ctx = sendContext(request, deps)
      const outcome = await deps.db.transaction().execute((tx) => sendText(tx, ctx, send))
      if (!outcome.ok) throw outcome.error
      return toApiTextSend(request.body, outcome.messageId, outcome.to)
    },
  )

  app.post(
    '/v1/text/send-bulk',
    {
      config: write,
      schema: {
        tags: compatible,
        summary: 'Send up to 1,000 texts; each item is accepted or listed in failures with its reason',
        body: TextSendBulkSchema,
        response: { 200: TextSendBulkResponseSchema, ...errors },
      },
    },
    async (request) => sendBulk(deps, sendContext(request, deps), request.body),
  )

  app.get(
    '/v1/messages/:id',
    {
      config: read,
      schema: {
        tags: addition,
        summary: 'Read a message and its state history',
        params: MessageParams,
        response: { 200: MessageSchema, 404: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => {
      const found = await findMessage(deps.db, request.apiKey.company.id, messageIdOf(request.params.id))
      return toApiMessage(found.message, found.history)
    },
  )

  app.get(
    '/v1/sandbox/messages',
    {
      config: read,
      schema: {
        tags: addition,
        summary: 'What the sandbox carrier was handed, newest first',
        querystring: SandboxQuerySchema,
        response: { 200: Type.Object({ messages: Type.Array(SandboxMessageSchema) }), ...errors },
      },
    },
    async (request) => {
      const { to, since, limit } = request.query
      const phone =
        to === undefined
          ? undefined
          : phoneField(restorePlus(to), 'to', request.apiKey.company.settings.defaultCountry)
      const rows = await listSandboxMessages(deps.db, request.apiKey.company.id, {
        to: phone,
        since: since === undefined ? undefined : new Date(since),
        limit: limit ?? 100,
      })
      return { messages: rows.map(toApiSandboxMessage) }
    },
  )

  app.get(
    '/s/:code',
    {
      schema: {
        tags: addition,
        summary: 'A short link: records the click against its message and person, then redirects (302)',
        params: LinkParams,
        response: { 302: Type.Null(), 404: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const url = await recordClick(deps.db, request.params.code, {
        at: deps.clock.now(),
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      })
      return reply.redirect(url, 302)
    },
  )
}
