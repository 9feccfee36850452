import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database, RateLimitFamily } from '../db/schema.ts'
import type { AuthenticatedKey } from '../features/api-keys/api-keys.queries.ts'
import { grants, type RequiredScope } from '../features/api-keys/scopes.ts'
import { AppError } from './errors.ts'
import type { KeyCache } from './key-cache.ts'
import { RateLimiter, UNAUTHENTICATED_LIMIT, type RateDecision } from './rate-limit.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `key`: a company API key (Bearer); `admin`: the operator token; absent: open. */
    auth?: 'key' | 'admin'
    /** Scope a key must hold (`key` routes). Absent: any valid key, as `/v1/me`. */
    scope?: RequiredScope
    /** A legacy-token path (ATTENTIVE_API.md §2.12): a missing or bad key is a 403, as Attentive documents. */
    legacy?: boolean
    /** Rate-limit family (ATTENTIVE_API.md §1.5). Default `default`. */
    rateFamily?: RateLimitFamily
  }
  interface FastifyRequest {
    /** The calling key and its company; set on every `key` route before the handler runs. */
    apiKey: AuthenticatedKey
  }
}

/** Everything the auth hook needs. */
export interface AuthOptions {
  keys: KeyCache
  limiter: RateLimiter
  db: Kysely<Database>
  adminToken: string | undefined
  now: () => number
}

/** Extracts the token of `Authorization: Bearer <token>` (`Bearer` in any case), or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  const match = /^bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

function setRateHeaders(reply: FastifyReply, decision: RateDecision): void {
  reply.header('x-ratelimit-limit', decision.limit)
  reply.header('x-ratelimit-remaining', decision.remaining)
}

function refuse(decision: RateDecision): AppError {
  return new AppError(
    'rate_limited',
    `too many requests: the limit is ${decision.limit} per second for this endpoint; retry after ${decision.retryAfterSeconds ?? 1} s`,
    { headers: { 'retry-after': String(decision.retryAfterSeconds ?? 1) } },
  )
}

/**
 * The onRequest hook of every `key` and `admin` route: runs before the body is read, so a refused request
 * (401, 403, 429) does no work and stores nothing. Every `/v1` answer carries x-ratelimit-* headers.
 */
export function createAuthHook(options: AuthOptions) {
  const adminHash = options.adminToken ? sha256(options.adminToken) : undefined
  let storedAdminHash: Buffer | undefined

  async function isAdmin(token: string): Promise<boolean> {
    const presented = sha256(token)
    if (adminHash) return timingSafeEqual(presented, adminHash)
    storedAdminHash ??= await loadStoredAdminHash(options.db)
    return storedAdminHash !== undefined && timingSafeEqual(presented, storedAdminHash)
  }

  function refuseUnknown(request: FastifyRequest, reply: FastifyReply, token: string | undefined, now: number): never {
    const decision = options.limiter.take(`ip:${request.ip}`, UNAUTHENTICATED_LIMIT, now)
    setRateHeaders(reply, decision)
    if (!decision.allowed) throw refuse(decision)
    throw new AppError(
      request.routeOptions.config.legacy ? 'forbidden' : 'unauthorized',
      token
        ? 'authorization: the API key is unknown or revoked'
        : 'authorization: missing; send `Authorization: Bearer <API key>`',
      { field: 'authorization' },
    )
  }

  function admit(request: FastifyRequest, reply: FastifyReply, key: AuthenticatedKey, now: number): void {
    const config = request.routeOptions.config
    const limit = options.limiter.limitFor(config.rateFamily ?? 'default', key.company.settings)
    const decision = options.limiter.take(`key:${key.keyId}:${request.method} ${request.routeOptions.url}`, limit, now)
    setRateHeaders(reply, decision)
    if (!decision.allowed) throw refuse(decision)
    if (config.scope && !grants(key.scopes, config.scope)) {
      throw new AppError('missing_scope', `authorization: this API key lacks the scope ${config.scope}`, {
        field: 'authorization',
      })
    }
    request.apiKey = key
  }

  // A callback hook with a synchronous path: a key found in the cache costs no promise (npm run bench -- http).
  return function authHook(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    const config = request.routeOptions.config
    if (config.auth === undefined) return done()
    const now = options.now()
    const token = bearerToken(request)
    try {
      if (config.auth === 'admin') {
        const refused = () =>
          new AppError('unauthorized', 'authorization: expected `Bearer <admin token>` (ATTUNE_ADMIN_TOKEN)')
        if (!token) throw refused()
        isAdmin(token).then((ok) => done(ok ? undefined : refused()), done)
        return
      }
      const cached = token ? options.keys.cached(token, now) : undefined
      if (cached) {
        admit(request, reply, cached, now)
        return done()
      }
      if (!token) refuseUnknown(request, reply, token, now)
      options.keys.find(token, now).then((key) => {
        try {
          if (!key) refuseUnknown(request, reply, token, now)
          admit(request, reply, key, now)
          done()
        } catch (error) {
          done(error as Error)
        }
      }, done)
    } catch (error) {
      done(error as Error)
    }
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** The admin token generated on first start (instance_settings.admin_token_sha256), if any. */
async function loadStoredAdminHash(db: Kysely<Database>): Promise<Buffer | undefined> {
  const row = await db
    .selectFrom('instance_settings')
    .select('value')
    .where('key', '=', 'admin_token_sha256')
    .executeTakeFirst()
  return typeof row?.value === 'string' ? Buffer.from(row.value, 'hex') : undefined
}
