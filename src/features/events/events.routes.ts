import type { FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../http/errors.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { grants } from '../api-keys/scopes.ts'
import { scopeFor, writeBatch } from './batch.service.ts'
import { EventWriter } from './event-writer.ts'
import type { EventKind } from './events.schema.ts'
import {
  BATCH_KINDS,
  BatchResponseSchema,
  BatchSchema,
  CustomEventSchema,
  EcommerceEventSchema,
  EmptySchema,
  UserEventsParams,
  UserEventsQuery,
  UserEventsResponseSchema,
} from './events.schemas.ts'
import { prepareCustomEvent, prepareEcommerceEvent, type EventSource } from './events.service.ts'
import { listEventsPage } from './list-events.ts'

const compatible = ['Attentive-compatible']
const addition = ['Attune addition']
// ATTENTIVE_API.md §1.4: the statuses of the events family.
const writeErrors = {
  400: ErrorResponseSchema,
  403: ErrorResponseSchema,
  413: ErrorResponseSchema,
  415: ErrorResponseSchema,
  429: ErrorResponseSchema,
}

/** `view-item` is an alias of `product-view` that some integrations send (ATTENTIVE_API.md §2.5). */
const ECOMMERCE_PATHS: Array<[path: string, kind: Exclude<EventKind, 'custom'>, summary: string]> = [
  ['product-view', 'product_view', 'Record that a person viewed products'],
  ['view-item', 'product_view', 'Alias of product-view'],
  ['add-to-cart', 'add_to_cart', 'Record that a person added products to a cart'],
  ['purchase', 'purchase', 'Record a purchase'],
]

function sourceOf(request: FastifyRequest, deps: Deps): EventSource {
  const { company, keyId } = request.apiKey
  return { companyId: company.id, apiKeyId: keyId, defaultCountry: company.settings.defaultCountry, now: deps.clock.now() }
}

/**
 * Custom and eCommerce events (ATTENTIVE_API.md §2.3, §2.5), the batch endpoint and a person's events. Writes
 * go through the group-commit writer: the handler answers once the transaction holding its event committed.
 */
export async function eventRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  const writer = new EventWriter({ db: deps.db, clock: deps.clock, log: deps.log })
  app.addHook('onClose', () => writer.drain())

  app.post(
    '/v1/events/custom',
    {
      config: { auth: 'key', scope: 'events:write' },
      schema: {
        tags: compatible,
        summary: 'Record a custom event; it may start journeys (not when older than 12 hours)',
        body: CustomEventSchema,
        response: { 200: EmptySchema, ...writeErrors },
      },
    },
    async (request) => {
      await writer.submit(prepareCustomEvent(request.body, sourceOf(request, deps)))
      return {}
    },
  )

  for (const [path, kind, summary] of ECOMMERCE_PATHS) {
    app.post(
      `/v1/events/ecommerce/${path}`,
      {
        config: { auth: 'key', scope: 'ecommerce:write' },
        schema: { tags: compatible, summary, body: EcommerceEventSchema, response: { 200: EmptySchema, ...writeErrors } },
      },
      async (request) => {
        await writer.submit(prepareEcommerceEvent(kind, request.body, sourceOf(request, deps)))
        return {}
      },
    )
  }

  app.post(
    '/v1/events/batch',
    {
      // Each item needs its own endpoint's scope (events:write for custom, ecommerce:write for the others),
      // checked per item; a key holding neither is refused as a whole.
      config: { auth: 'key' },
      schema: {
        tags: addition,
        summary: `Record up to 1,000 events (${BATCH_KINDS.join(', ')}); each is checked on its own and answered in results`,
        body: BatchSchema,
        response: { 200: BatchResponseSchema, ...writeErrors },
      },
    },
    async (request) => {
      const { scopes } = request.apiKey
      if (!BATCH_KINDS.some((kind) => grants(scopes, scopeFor(kind)))) {
        throw new AppError('missing_scope', 'authorization: this API key lacks events:write and ecommerce:write', {
          field: 'authorization',
        })
      }
      return { results: await writeBatch(writer, request.body.events, sourceOf(request, deps), scopes) }
    },
  )

  app.get(
    '/v1/users/:userId/events',
    {
      config: { auth: 'key', scope: 'events:read' },
      schema: {
        tags: addition,
        summary: "A person's events, newest first, with a cursor for the next page",
        params: UserEventsParams,
        querystring: UserEventsQuery,
        response: { 200: UserEventsResponseSchema, 400: ErrorResponseSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema, 429: ErrorResponseSchema },
      },
    },
    async (request) => {
      const userId = decodeObjectId('User', request.params.userId)
      return listEventsPage(deps.db, request.apiKey.company.id, userId, request.params.userId, request.query)
    },
  )
}
