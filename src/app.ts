import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Deps } from './deps.ts'
import { createAuthHook } from './http/auth.ts'
import { AppError, errorBody } from './http/errors.ts'
import { KeyCache } from './http/key-cache.ts'
import { lazyChildLoggerFactory } from './http/lazy-logger.ts'
import { openApiOptions } from './http/openapi.ts'
import { RateLimiter } from './http/rate-limit.ts'
import { toValidationError, validatorCompiler } from './http/validation.ts'
import { registerRoutes } from './routes.ts'

/** The app with TypeBox types inferred from route schemas. */
export type App = FastifyInstance<
  FastifyInstance['server'],
  FastifyRequest['raw'],
  FastifyReply['raw'],
  Deps['log'],
  TypeBoxTypeProvider
>

/** Request bodies above this get 413 (ATTENTIVE_API.md §1.3); routes that need more raise their own limit. */
const BODY_LIMIT = 1024 * 1024
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;.*)?$/i

/** Builds the whole HTTP app on `deps` without listening: server.ts listens, tests call `inject()`. */
export async function buildApp(deps: Deps): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: 'x-request-id',
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors the router raises before any route runs (bad URL encoding, overlong parameters) get the same body.
    frameworkErrors: (error, request, reply) => {
      const code = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'uri_too_long' : 'not_found'
      void sendError(new AppError(code, `url: ${error.message.slice(0, 200)}`), request, reply)
    },
    // One line per request only at debug: at info it would double the log volume of every API call.
    logController: new LogController({
      disableRequestLogging: deps.config.logLevel !== 'debug' && deps.config.logLevel !== 'trace',
    }),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App
  app.setValidatorCompiler(validatorCompiler)
  registerJsonParser(app)

  const keys = new KeyCache(deps.db, deps.connectListener)
  await keys.start()
  const limiter = new RateLimiter(deps.config.apiProcesses)
  app.decorate('keyCache', keys)
  app.addHook('onClose', () => keys.close())
  app.addHook('onRequest', defaultContentType)
  app.addHook(
    'onRequest',
    createAuthHook({
      keys,
      limiter,
      db: deps.db,
      adminToken: deps.config.adminToken,
      now: () => deps.clock.now().getTime(),
    }),
  )
  recordMetrics(app, deps)
  const routePatterns = collectRoutePatterns(app)
  app.decorate('routeList', routePatterns)
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(toAppError(error, request), request, reply))
  app.setNotFoundHandler((request, reply) => {
    const allowed = allowedMethods(routePatterns, request.url)
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '))
      return sendError(
        new AppError('method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(' or ')}`),
        request,
        reply,
      )
    }
    return sendError(new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`), request, reply)
  })

  await app.register(swagger, openApiOptions(deps.config.publicUrl))
  await registerRoutes(app, deps)
  return app
}

/** JSON for `application/json`, any `application/*+json`, with or without a charset. */
function registerJsonParser(app: App): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(JSON_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch (error) {
      done(new AppError('invalid_json', `body: is not valid JSON (${(error as Error).message}); send a JSON object`), undefined)
    }
  })
}

/** A body sent without Content-Type is read as JSON (ATTENTIVE_API.md §1.3). A callback hook: no promise per request. */
function defaultContentType(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined
  if (hasBody && request.headers['content-type'] === undefined) request.headers['content-type'] = 'application/json'
  done()
}

function toAppError(error: FastifyError, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error
  if (error.validation) return toValidationError(error.validation as never, error.validationContext ?? 'body')
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        'unsupported_media_type',
        `content-type: '${request.headers['content-type'] ?? ''}' is not supported; send application/json`,
        { field: 'content-type' },
      )
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', `body: larger than the limit of ${request.routeOptions.bodyLimit} bytes`)
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_json', 'body: is empty or not valid JSON; send a JSON object')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_json', 'body: its length does not match Content-Length')
    default:
      if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        return new AppError('validation_failed', `request: ${error.message}`)
      }
      request.log.error({ err: error }, 'unhandled error')
      return new AppError('internal_error', `internal error; quote request id ${request.id} when reporting it`)
  }
}

function sendError(error: AppError, request: FastifyRequest, reply: FastifyReply) {
  const body = errorBody(error, request.id)
  if (error.status >= 500) request.log.error({ errorId: body.error.id, code: error.code }, error.message)
  else request.log.info({ errorId: body.error.id, code: error.code, status: error.status }, 'request refused')
  if (error.headers) reply.headers(error.headers)
  return reply.status(error.status).type('application/json; charset=utf-8').send(body)
}

/**
 * Counts and times every answer by method, route template and status. The labelled children are kept per
 * combination, so a request costs a map lookup instead of prom-client hashing its labels twice.
 */
function recordMetrics(app: App, deps: Deps): void {
  const children = new Map<string, { count: { inc(): void }; time: { observe(value: number): void } }>()
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${route} ${reply.statusCode}`
    let child = children.get(key)
    if (!child) {
      const labels = { method: request.method, route, status: String(reply.statusCode) }
      child = { count: deps.metrics.httpRequests.labels(labels), time: deps.metrics.httpDuration.labels(labels) }
      children.set(key, child)
    }
    child.count.inc()
    child.time.observe(reply.elapsedTime / 1000)
    done()
  })
}

/** A registered route: its method, template and the expression matching concrete paths. */
export interface RoutePattern {
  method: string
  url: string
  pattern: RegExp
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app, as registered (for the 405 answer and the OpenAPI completeness test). */
    routeList: RoutePattern[]
    /** Cached API keys; cleared here at once when this process revokes a key or changes a company. */
    keyCache: KeyCache
  }
}

/** Every route as a regular expression, to answer 405 with `Allow` for a known path and a wrong method. */
function collectRoutePatterns(app: App): RoutePattern[] {
  const patterns: RoutePattern[] = []
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const source = route.url
      .replace(/\/+$/, '')
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')
    for (const method of methods) if (method !== 'HEAD') patterns.push({ method, url: route.url, pattern: new RegExp(`^${source}/?$`) })
  })
  return patterns
}

function allowedMethods(patterns: RoutePattern[], url: string): string[] {
  const path = url.split('?')[0] ?? ''
  return [...new Set(patterns.filter((p) => p.pattern.test(path)).map((p) => p.method))]
}
