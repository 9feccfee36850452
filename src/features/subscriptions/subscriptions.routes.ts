import type { FastifyRequest } from 'fastify'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { restorePlus } from '../users/identifiers.ts'
import {
  EligibilityResponseSchema,
  SubscribeBodySchema,
  SubscribeResponseSchema,
  SubscriptionQuerySchema,
  UnsubscribeBodySchema,
  UnsubscribeResponseSchema,
} from './subscriptions.schemas.ts'
import { eligibility, subscribe, unsubscribe, type RequestContext } from './subscriptions.service.ts'

const tags = ['Attentive-compatible']
const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 429: ErrorResponseSchema }

/** The request's company, key and evidence (IP, user agent) for the consent ledger. */
function contextOf(request: FastifyRequest, now: Date): RequestContext {
  const userAgent = request.headers['user-agent']
  return {
    companyId: request.apiKey.company.id,
    settings: request.apiKey.company.settings,
    keyId: request.apiKey.keyId,
    ip: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    now,
  }
}

function queryOf(query: { phone?: string | undefined; email?: string | undefined }) {
  return { phone: query.phone === undefined ? undefined : restorePlus(query.phone), email: query.email }
}

/** Attentive's Subscriptions API: subscribe, eligibility, unsubscribe (and the historic DELETE). */
export async function subscriptionRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/v1/subscriptions',
    {
      config: { auth: 'key', scope: 'subscriptions:write', rateFamily: 'subscribe' },
      schema: {
        tags,
        summary: 'Subscribe a phone and/or email through a sign-up source',
        body: SubscribeBodySchema,
        response: { 202: SubscribeResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request, deps.clock.now())
      const body = await deps.db.transaction().execute((tx) => subscribe(tx, ctx, request.body))
      return reply.status(202).send(body)
    },
  )

  app.get(
    '/v1/subscriptions',
    {
      config: { auth: 'key', scope: 'subscriptions:read' },
      schema: {
        tags,
        summary: "A phone's and/or email's subscriptions and whether each may receive messages",
        querystring: SubscriptionQuerySchema,
        response: { 200: EligibilityResponseSchema, ...errors },
      },
    },
    async (request) => eligibility(deps.db, contextOf(request, deps.clock.now()), queryOf(request.query)),
  )

  app.post(
    '/v1/subscriptions/unsubscribe',
    {
      config: { auth: 'key', scope: 'subscriptions:write', rateFamily: 'unsubscribe' },
      schema: {
        tags,
        summary: 'Unsubscribe a phone and/or email from the named subscriptions, or from all',
        body: UnsubscribeBodySchema,
        response: { 202: UnsubscribeResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request, deps.clock.now())
      const body = await deps.db.transaction().execute((tx) => unsubscribe(tx, ctx, request.body))
      return reply.status(202).send(body)
    },
  )

  app.delete(
    '/v1/subscriptions',
    {
      config: { auth: 'key', scope: 'subscriptions:write', rateFamily: 'unsubscribe' },
      schema: {
        tags,
        summary:
          'Historic: unsubscribe a phone and/or email from everything (as the unsubscribe call without subscriptions)',
        querystring: SubscriptionQuerySchema,
        response: { 202: UnsubscribeResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const ctx = contextOf(request, deps.clock.now())
      const user = queryOf(request.query)
      const body = await deps.db.transaction().execute((tx) => unsubscribe(tx, ctx, { user }, ''))
      return reply.status(202).send(body)
    },
  )
}
