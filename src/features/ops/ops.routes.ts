import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { queueDepth } from '../../queue/claim.ts'

const tags = ['Operations']

/** Health, Prometheus metrics, the OpenAPI document and its reference UI. */
export async function opsRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: '200 when the store answers, 503 otherwise',
        response: { 200: Type.Object({ status: Type.Literal('ok') }), 503: Type.Object({ status: Type.Literal('unavailable') }) },
      },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(deps.db)
        return { status: 'ok' as const }
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const })
      }
    },
  )

  app.get('/metrics', { schema: { tags, summary: 'Prometheus text exposition', hide: false } }, async (_request, reply) => {
    const depth = await queueDepth(deps.db).catch(() => [])
    deps.metrics.queueDepth.reset()
    for (const row of depth) deps.metrics.queueDepth.set({ kind: row.kind, state: row.state }, row.count)
    const body = await deps.metrics.registry.metrics()
    return reply.type(deps.metrics.registry.contentType).send(body)
  })

  app.get('/openapi.json', { schema: { tags, summary: 'This API as OpenAPI 3.1' } }, async () => app.swagger())

  // The reference UI weighs ~35 MB once loaded, so it lives in a small app of its own built on the first visit to
  // /docs; an API process that nobody browses never pays for it.
  let docs: Promise<FastifyInstance> | undefined
  const loadDocs = () =>
    (docs ??= (async () => {
      const { default: reference } = await import('@scalar/fastify-api-reference')
      const docsApp = Fastify()
      await docsApp.register(reference, { routePrefix: '/docs', configuration: { url: '/openapi.json' } })
      await docsApp.ready()
      return docsApp
    })())
  app.addHook('onClose', async () => {
    if (docs) await (await docs).close()
  })
  const serveDocs = async (request: FastifyRequest, reply: FastifyReply) => {
    const answer = await (await loadDocs()).inject({ method: 'GET', url: request.url })
    for (const name of ['content-type', 'location', 'cache-control', 'etag']) {
      const value = answer.headers[name]
      if (value !== undefined) reply.header(name, value)
    }
    return reply.status(answer.statusCode).send(answer.rawPayload)
  }
  app.get('/docs', { schema: { hide: true } }, serveDocs)
  app.get('/docs/*', { schema: { hide: true } }, serveDocs)
}
