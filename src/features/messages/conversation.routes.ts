import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { findUserId } from '../users/identity.service.ts'
import { restorePlus } from '../users/identifiers.ts'
import { listConversation, toApiConversationEntry } from './conversation.queries.ts'
import { ConversationQuerySchema, ConversationSchema } from './conversation.schemas.ts'
import { requiredPhone } from './inbound.routes.ts'

/** `GET /v1/conversations`: the two-way conversation with one number, as the brand's inbox shows it. */
export async function conversationRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.get(
    '/v1/conversations',
    {
      config: { auth: 'key', scope: 'messages:read' },
      schema: {
        tags: ['Attune addition'],
        summary: 'The texts a number sent and the messages sent to it, newest first',
        querystring: ConversationQuerySchema,
        response: {
          200: ConversationSchema,
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          429: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { company } = request.apiKey
      const { query } = request
      const phone = requiredPhone('phone', restorePlus(query.phone), company.settings.defaultCountry)
      const userId = await findUserId(deps.db, company.id, { phone })
      const before = query.before === undefined ? undefined : new Date(query.before)
      const entries = await listConversation(deps.db, company.id, phone, userId, {
        limit: query.limit,
        before,
      })
      return { phone, subscriberId: userId ?? null, entries: entries.map(toApiConversationEntry) }
    },
  )
}
