import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { deliveryRoutes } from './deliveries.routes.ts'
import {
  CreateWebhookSchema,
  ERROR_RESPONSES,
  PATH_ERROR_RESPONSES,
  READ,
  RotatedSecretSchema,
  RotateSecretSchema,
  UpdateWebhookSchema,
  WebhookListSchema,
  WebhookParams,
  WebhookSchema,
  WRITE,
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

const compatible = ['Attentive-compatible']
const addition = ['Attune addition']

/** Attentive's webhook API (ATTENTIVE_API.md §2.10), secret rotation, and the delivery log and replay. */
export async function webhookRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  const policy = urlPolicy(deps.config)

  app.get(
    '/v1/webhooks',
    { config: READ, schema: { tags: compatible, summary: "List the calling app's webhooks", response: { 200: WebhookListSchema, ...ERROR_RESPONSES } } },
    async (request) => ({ webhooks: (await listWebhooks(deps.db, ownerOf(request))).map(toApiListedWebhook) }),
  )

  app.post(
    '/v1/webhooks',
    {
      config: WRITE,
      schema: {
        tags: compatible,
        summary: 'Create a webhook; the answer carries its signing secret, shown only here (Attune addition)',
        body: CreateWebhookSchema,
        response: { 201: WebhookSchema, ...ERROR_RESPONSES },
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
      config: WRITE,
      schema: {
        tags: compatible,
        summary: 'Change url or events, or pause (disabled:true) and resume (disabled:false); omitted fields keep their value',
        params: WebhookParams,
        body: UpdateWebhookSchema,
        response: { 200: WebhookSchema, ...PATH_ERROR_RESPONSES },
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
      config: WRITE,
      schema: {
        tags: compatible,
        summary: 'Delete a webhook; its pending deliveries are dropped',
        params: WebhookParams,
        response: { 204: Type.Null(), ...PATH_ERROR_RESPONSES },
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
      config: WRITE,
      schema: {
        tags: addition,
        summary: 'Replace the signing secret; the old one also signs during the overlap (default 24 h)',
        params: WebhookParams,
        body: RotateSecretSchema,
        response: { 200: RotatedSecretSchema, ...PATH_ERROR_RESPONSES },
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
