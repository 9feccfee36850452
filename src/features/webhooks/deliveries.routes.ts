import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { AppError, invalidField } from '../../http/errors.ts'
import { notifyDispatchers } from './dispatch.queries.ts'
import {
  findDelivery,
  listAttempts,
  listDeliveries,
  replayDelivery,
  replayRange,
  toApiDelivery,
} from './deliveries.queries.ts'
import {
  DeliveriesQuery,
  PATH_ERROR_RESPONSES,
  DeliveryDetailSchema,
  DeliveryListSchema,
  DeliveryParams,
  NoticeListSchema,
  READ,
  ReplayedSchema,
  ReplayRangeSchema,
  WebhookParams,
  WRITE,
} from './webhooks.schemas.ts'
import { ownerOf, requireWebhook } from './webhooks.service.ts'
import { listNotices, type WebhookRow } from './webhooks.queries.ts'

const tags = ['Attune addition']

function unknownDelivery(id: string): AppError {
  return new AppError('unknown_delivery', `deliveryId: this webhook has no delivery ${id}`, { field: 'deliveryId' })
}

/** Replays go out only while the webhook is enabled: the dispatcher sends nothing to a disabled one. */
function requireEnabled(webhook: WebhookRow, webhookId: string): void {
  if (webhook.disabled_at) {
    throw new AppError(
      'webhook_disabled',
      `webhookId: ${webhookId} is disabled, so nothing can be replayed to it; re-enable it with PUT {"disabled":false} first`,
      { field: 'webhookId' },
    )
  }
}

/** The delivery log, replay and notices of a webhook (Attune additions). */
export async function deliveryRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.get(
    '/v1/webhooks/:webhookId/deliveries',
    {
      config: READ,
      schema: {
        tags,
        summary: 'The delivery log, newest first: status, attempts, last response code and latency',
        params: WebhookParams,
        querystring: DeliveriesQuery,
        response: { 200: DeliveryListSchema, ...PATH_ERROR_RESPONSES },
      },
    },
    async (request) => {
      const webhook = await requireWebhook(deps.db, ownerOf(request), request.params.webhookId)
      const { status, since, limit, cursor } = request.query
      const rows = await listDeliveries(deps.db, webhook.company_id, webhook.id, {
        status,
        since: since ? new Date(since) : undefined,
        beforeId: cursor ? Number(cursor) : undefined,
        limit,
      })
      const last = rows.at(-1)
      return { deliveries: rows.map(toApiDelivery), nextCursor: rows.length === limit && last ? String(last.id) : null }
    },
  )

  app.get(
    '/v1/webhooks/:webhookId/deliveries/:deliveryId',
    {
      config: READ,
      schema: { tags, summary: 'One delivery with every attempt', params: DeliveryParams, response: { 200: DeliveryDetailSchema, ...PATH_ERROR_RESPONSES } },
    },
    async (request) => {
      const webhook = await requireWebhook(deps.db, ownerOf(request), request.params.webhookId)
      const row = await findDelivery(deps.db, webhook.company_id, webhook.id, request.params.deliveryId)
      if (!row) throw unknownDelivery(request.params.deliveryId)
      const attempts = await listAttempts(deps.db, webhook.company_id, row.id)
      return {
        delivery: toApiDelivery(row),
        attempts: attempts.map((a) => ({
          attempt: a.attempt,
          attemptedAt: a.attempted_at.toISOString(),
          statusCode: a.status_code,
          latencyMs: a.latency_ms,
          error: a.error,
          responseExcerpt: a.response_excerpt,
        })),
      }
    },
  )

  app.post(
    '/v1/webhooks/:webhookId/deliveries/:deliveryId/replay',
    {
      config: WRITE,
      schema: {
        tags,
        summary: 'Send a delivery again, with the same webhook-id and a fresh 72 h retry window',
        params: DeliveryParams,
        response: { 202: ReplayedSchema, ...PATH_ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const replayed = await deps.db.transaction().execute(async (tx) => {
        const webhook = await requireWebhook(tx, ownerOf(request), request.params.webhookId)
        const row = await findDelivery(tx, webhook.company_id, webhook.id, request.params.deliveryId)
        if (!row) throw unknownDelivery(request.params.deliveryId)
        requireEnabled(webhook, request.params.webhookId)
        const requeued = await replayDelivery(tx, row, deps.clock.now())
        await notifyDispatchers(tx)
        return requeued ? 1 : 0
      })
      return reply.status(202).send({ replayed })
    },
  )

  app.post(
    '/v1/webhooks/:webhookId/replay',
    {
      config: WRITE,
      schema: {
        tags,
        summary: 'Send again every finished delivery of events that occurred in [from, to)',
        params: WebhookParams,
        body: ReplayRangeSchema,
        response: { 202: ReplayedSchema, ...PATH_ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const from = new Date(request.body.from)
      const to = new Date(request.body.to)
      if (to <= from) throw invalidField('to', `'${request.body.to}' is not after from; expected a time later than ${request.body.from}`)
      const replayed = await deps.db.transaction().execute(async (tx) => {
        const webhook = await requireWebhook(tx, ownerOf(request), request.params.webhookId)
        requireEnabled(webhook, request.params.webhookId)
        const count = await replayRange(tx, webhook.company_id, webhook.id, { from, to, now: deps.clock.now() })
        await notifyDispatchers(tx)
        return count
      })
      return reply.status(202).send({ replayed })
    },
  )

  app.get(
    '/v1/webhooks/:webhookId/notices',
    {
      config: READ,
      schema: {
        tags,
        summary: 'What the app was told: failing for 24 h, disabled after 72 h or by a 410',
        params: WebhookParams,
        response: { 200: NoticeListSchema, ...PATH_ERROR_RESPONSES },
      },
    },
    async (request) => {
      const webhook = await requireWebhook(deps.db, ownerOf(request), request.params.webhookId)
      const notices = await listNotices(deps.db, webhook.company_id, webhook.id)
      return { notices: notices.map((n) => ({ kind: n.kind, message: n.message, createdAt: n.created_at.toISOString() })) }
    },
  )
}
