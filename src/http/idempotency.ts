import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { sql, type Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import type { Database, Timestamp } from '../db/schema.ts'
import { AppError } from './errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Honour an `Idempotency-Key` header. Default: on for every `key` route that writes (POST, PUT, PATCH,
     * DELETE); `false` turns it off, `true` turns it on for any route that has a company key.
     */
    idempotent?: boolean
  }
  interface FastifyRequest {
    /** Set while this request holds its Idempotency-Key; the answer is stored when it is sent. */
    idempotencyClaim?: { companyId: number; key: string; settled: boolean }
  }
}

export interface IdempotencyKeysTable {
  company_id: number
  key: string
  fingerprint: Buffer
  status_code: number | null
  content_type: string | null
  response_body: string | null
  locked_until: Timestamp | null
  created_at: Timestamp
  expires_at: Timestamp
}

/** The Idempotency-Key table, for src/db/schema.ts. */
export interface IdempotencyTables {
  idempotency_keys: IdempotencyKeysTable
}

/** How long an answer is replayed (and a key reserved). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
/** A key in flight for longer than this (its process died) may be run again by a repeat of the same request. */
export const IN_FLIGHT_LEASE_MS = 60 * 1000
/** What a replayed answer carries, so a client can tell it from a fresh one. */
export const REPLAYED_HEADER = 'idempotent-replayed'

const KEY_FORM = /^[\x21-\x7e]{1,255}$/
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function appliesTo(route: RouteOptions): boolean {
  const config = (route.config ?? {}) as { auth?: string; idempotent?: boolean }
  if (config.idempotent !== undefined) return config.idempotent && config.auth === 'key'
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  return config.auth === 'key' && methods.some((method) => WRITES.has(method))
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]
}

/** SHA-256 of what makes a request the same request: method, path with query, and the parsed body. */
function fingerprintOf(request: FastifyRequest): Buffer {
  return createHash('sha256').update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`).digest()
}

/**
 * The `Idempotency-Key` header of Attune's write endpoints (an Attune addition; Attentive has none, §1.6):
 * a retry with the same key and the same request gets the first answer again, without running again, for 24 h.
 * The same key with another request is a 422 `idempotency_key_reused`; a repeat while the first still runs is a
 * 409 `idempotency_key_in_flight`. Keys belong to a company. A 5xx answer is not kept, so a retry runs again;
 * so is a request whose process died mid-way, once IN_FLIGHT_LEASE_MS has passed. Installed as an onRoute hook
 * before the routes, so it adds hooks only to the routes it covers, and costs nothing when the header is absent.
 */
export function registerIdempotency(
  app: { addHook(name: 'onRoute', hook: (route: RouteOptions) => void): unknown },
  deps: { db: Kysely<Database>; clock: Clock },
): void {
  const { db, clock } = deps

  async function claim(companyId: number, key: string, fingerprint: Buffer): Promise<boolean> {
    const now = clock.now()
    const result = await sql`
      insert into idempotency_keys as k (company_id, key, fingerprint, locked_until, created_at, expires_at)
      values (${companyId}, ${key}, ${fingerprint}, ${new Date(now.getTime() + IN_FLIGHT_LEASE_MS)}, ${now},
              ${new Date(now.getTime() + IDEMPOTENCY_TTL_MS)})
      on conflict (company_id, key) do update set
        fingerprint = excluded.fingerprint, status_code = null, content_type = null, response_body = null,
        locked_until = excluded.locked_until, created_at = excluded.created_at, expires_at = excluded.expires_at
      where k.expires_at <= ${now}
         or (k.status_code is null and k.locked_until <= ${now} and k.fingerprint = excluded.fingerprint)
    `.execute(db)
    return Number(result.numAffectedRows ?? 0n) === 1
  }

  async function preHandler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const header = request.headers['idempotency-key']
    if (header === undefined) return undefined
    const field = 'header idempotency-key'
    if (typeof header !== 'string' || !KEY_FORM.test(header)) {
      throw new AppError('validation_failed', `${field}: must be 1-255 visible ASCII characters; send a new UUID per request`, {
        field,
      })
    }
    const companyId = request.apiKey.company.id
    const fingerprint = fingerprintOf(request)
    // Twice at most: the row can vanish between the claim and the read (its first request ended in a 5xx).
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await claim(companyId, header, fingerprint)) {
        request.idempotencyClaim = { companyId, key: header, settled: false }
        return undefined
      }
      const row = await db
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'status_code', 'content_type', 'response_body'])
        .where('company_id', '=', companyId)
        .where('key', '=', header)
        .executeTakeFirst()
      if (!row) continue
      if (!row.fingerprint.equals(fingerprint)) {
        throw new AppError(
          'idempotency_key_reused',
          `${field}: '${header}' was used for a different request in the last 24 hours; send a new key for a new request`,
          { field },
        )
      }
      if (row.status_code === null) {
        throw new AppError(
          'idempotency_key_in_flight',
          `${field}: a request with '${header}' is still running; retry once it has been answered`,
          { field, headers: { 'retry-after': '1' } },
        )
      }
      reply.header(REPLAYED_HEADER, 'true')
      if (row.content_type) reply.type(row.content_type)
      return reply.status(row.status_code).send(row.response_body ?? '')
    }
    throw new AppError('idempotency_key_in_flight', `${field}: '${header}' is changing; retry`, { field })
  }

  /** Stores the answer (2xx-4xx), or frees the key (5xx, or a body that is not text) so a retry runs again. */
  async function settle(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const held = request.idempotencyClaim
    if (!held || held.settled) return
    held.settled = true
    const body = typeof payload === 'string' ? payload : payload === null || payload === undefined ? '' : undefined
    const keep = reply.statusCode < 500 && body !== undefined
    const mine = db.updateTable('idempotency_keys').where('company_id', '=', held.companyId).where('key', '=', held.key)
    try {
      if (keep) {
        const type = reply.getHeader('content-type')
        await mine
          .set({
            status_code: reply.statusCode,
            content_type: typeof type === 'string' ? type : null,
            response_body: body ?? '',
            locked_until: null,
          })
          .where('status_code', 'is', null)
          .execute()
      } else {
        await db
          .deleteFrom('idempotency_keys')
          .where('company_id', '=', held.companyId)
          .where('key', '=', held.key)
          .where('status_code', 'is', null)
          .execute()
      }
    } catch (error) {
      // The answer still goes out; the key stays in flight until its lease ends, then a retry may run again.
      request.log.error({ err: error }, 'could not store the Idempotency-Key answer')
    }
  }

  app.addHook('onRoute', (route) => {
    if (!appliesTo(route)) return
    route.preHandler = [...hooksOf(route.preHandler), preHandler] as RouteOptions['preHandler']
    route.onSend = [
      ...hooksOf(route.onSend),
      async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
        await settle(request, reply, payload)
        return payload
      },
    ] as RouteOptions['onSend']
    // A request that ended without sending (client gone) must not hold its key until the lease ends.
    route.onResponse = [
      ...hooksOf(route.onResponse),
      async (request: FastifyRequest, reply: FastifyReply) => settle(request, reply, Symbol('unsent')),
    ] as RouteOptions['onResponse']
  })
}
