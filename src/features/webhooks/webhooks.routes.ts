import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { deliveryRoutes } from './deliveries.routes.ts'
import {
  CreateWebhookSchema,
  RotatedSecretSchema,
  RotateSecretSchema,
  UpdateWebhookSchema,
  WebhookListSchema,
  WebhookParams,
  WebhookSchema,
} from './webhooks.schemas.ts'
import {
  changeWebhook,
  checkWebhookBody,
  createWebhook,
  DEFAULT_SECRET_OVERLAP_SECONDS,
  ownerOf,
  rotateWebhookSecret,
  unknownWebhook,
  urlPolicy,
  webhookIdOf,
} from './webhooks.service.ts'
import { deleteWebhook, listWebhooks, toApiListedWebhook, toApiWebhook, WEBHOOK_ID_TYPE } from './webhooks.queries.ts'

const read = { auth: 'key' as const, scope: 'webhooks:read' as const }
const write = { auth: 'key' as const, scope: 'webhooks:write' as const }
const compatible = ['Attentive-compatible']
const addition = ['Attune addition']
const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 429: ErrorResponseSchema }

/** Attentive's webhook API (ATTENTIVE_API.md §2.10), secret rotation, and the delivery log and replay. */
export async function webhookRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  const policy = urlPolicy(deps.config)

  app.get(
    '/v1/webhooks',
    { config: read, schema: { tags: compatible, summary: "List the calling app's webhooks", response: { 200: WebhookListSchema, ...errors } } },
    async (request) => ({ webhooks: (await listWebhooks(deps.db, ownerOf(request))).map(toApiListedWebhook) }),
  )

  app.post(
    '/v1/webhooks',
    {
      config: write,
      schema: {
        tags: compatible,
        summary: 'Create a webhook; the answer carries its signing secret, shown only here (Attune addition)',
        body: CreateWebhookSchema,
        response: { 201: WebhookSchema, ...errors },
      },
    },
    async (request, reply) => {
      await checkWebhookBody(request.body, policy)
      const created = await deps.db
        .transaction()
        .execute((tx) => createWebhook(tx, ownerOf(request), request.body, deps.clock.now()))
      return reply.status(201).send({ ...toApiWebhook(created.row), secret: created.secret })
    },
  )

  app.put(
    '/v1/webhooks/:webhookId',
    {
      config: write,
      schema: {
        tags: compatible,
        summary: 'Change url or events, or pause (disabled:true) and resume (disabled:false); omitted fields keep their value',
        params: WebhookParams,
        body: UpdateWebhookSchema,
        response: { 200: WebhookSchema, 404: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => {
      webhookIdOf(request.params.webhookId)
      await checkWebhookBody(request.body, policy)
      const row = await deps.db
        .transaction()
        .execute((tx) => changeWebhook(tx, ownerOf(request), request.params.webhookId, request.body, deps.clock.now()))
      return toApiWebhook(row)
    },
  )

  app.delete(
    '/v1/webhooks/:webhookId',
    {
      config: write,
      schema: {
        tags: compatible,
        summary: 'Delete a webhook; its pending deliveries are dropped',
        params: WebhookParams,
        response: { 204: Type.Null(), 404: ErrorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      if (!(await deleteWebhook(deps.db, ownerOf(request), webhookIdOf(request.params.webhookId)))) {
        throw unknownWebhook(request.params.webhookId)
      }
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/v1/webhooks/:webhookId/secret/rotate',
    {
      config: write,
      schema: {
        tags: addition,
        summary: 'Replace the signing secret; the old one also signs during the overlap (default 24 h)',
        params: WebhookParams,
        body: RotateSecretSchema,
        response: { 200: RotatedSecretSchema, 404: ErrorResponseSchema, ...errors },
      },
      // The body is optional: no body means the defaults.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request) => {
      const overlap = request.body.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_SECONDS
      const rotated = await deps.db
        .transaction()
        .execute((tx) => rotateWebhookSecret(tx, ownerOf(request), request.params.webhookId, overlap, deps.clock.now()))
      return {
        id: encodeObjectId(WEBHOOK_ID_TYPE, rotated.row.id),
        secret: rotated.secret,
        previousSecretExpiresAt: rotated.row.previous_secret_expires_at?.toISOString() ?? null,
      }
    },
  )

  await deliveryRoutes(app, { deps })
}
