import { hash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Database } from '../db/schema.ts'
import { findKeyByHash, type AuthenticatedKey } from '../features/api-keys/api-keys.queries.ts'

/** How long a found key is trusted without asking the database again. */
const TTL_MS = 10_000

/**
 * Keys by the hash of their secret, cached for TTL_MS so an authenticated request costs no query. Revocation
 * must take effect at once in every process: a trigger on api_keys NOTIFYs `attune_api_keys`, and each
 * process's listener drops its cache when it hears it (ADR 0005). While the listener is disconnected the cache
 * is bypassed, so a missed notification cannot keep a revoked key alive.
 */
export class KeyCache {
  private readonly entries = new Map<string, { key: AuthenticatedKey; expires: number }>()
  private listening = false
  private listener: pg.Client | undefined
  private closed = false
  private readonly waiters = new Map<string, Array<() => void>>()
  private readonly db: Kysely<Database>
  private readonly connect: (() => pg.Client) | undefined

  constructor(db: Kysely<Database>, connect?: () => pg.Client) {
    this.db = db
    this.connect = connect
  }

  /** Opens the LISTEN connection; reconnects after a loss. */
  async start(): Promise<void> {
    if (!this.connect || this.closed) return
    const client = this.connect()
    this.listener = client
    client.on('notification', (message) => {
      this.entries.clear()
      const waiting = this.waiters.get(message.payload ?? '')
      this.waiters.delete(message.payload ?? '')
      for (const wake of waiting ?? []) wake()
    })
    client.on('error', () => this.reconnect(client))
    client.on('end', () => this.reconnect(client))
    try {
      await client.connect()
      await client.query('listen attune_api_keys')
      this.entries.clear()
      this.listening = true
    } catch {
      this.reconnect(client)
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.listener !== client) return
    this.listening = false
    this.entries.clear()
    this.listener = undefined
    void client.end().catch(() => {})
    if (!this.closed) setTimeout(() => void this.start(), 1000).unref()
  }

  /** The cached live key for `secret`, without waiting: undefined when it must be looked up (`find`). */
  cached(secret: string, nowMs: number): AuthenticatedKey | undefined {
    const hit = this.entries.get(cacheKeyOf(secret))
    return hit && hit.expires > nowMs && this.listening ? hit.key : undefined
  }

  /** The live key for `secret`, or undefined. */
  async find(secret: string, nowMs: number): Promise<AuthenticatedKey | undefined> {
    const cacheKey = cacheKeyOf(secret)
    const hit = this.entries.get(cacheKey)
    if (hit && hit.expires > nowMs && this.listening) return hit.key
    const key = await findKeyByHash(this.db, Buffer.from(cacheKey, 'base64'))
    if (key && this.listening) {
      if (this.entries.size > 10_000) this.entries.clear()
      this.entries.set(cacheKey, { key, expires: nowMs + TTL_MS })
    }
    return key
  }

  /**
   * Resolves once this process has heard the notification for key `keyId` (or after `timeoutMs`). Call it before
   * the change commits and await it after: when this process has heard it, every connected process has been sent it.
   */
  heard(keyId: number, timeoutMs = 2000): Promise<void> {
    if (!this.listening) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      const list = this.waiters.get(String(keyId)) ?? []
      list.push(() => {
        clearTimeout(timer)
        resolve()
      })
      this.waiters.set(String(keyId), list)
    })
  }

  /** Forgets every cached key (the next request of each asks the database). */
  clear(): void {
    this.entries.clear()
  }

  async close(): Promise<void> {
    this.closed = true
    const client = this.listener
    this.listener = undefined
    this.listening = false
    await client?.end().catch(() => {})
  }
}

/**
 * hashKey()'s SHA-256 as a one-shot hash(): createHash() builds a native Hash object per call, which cost about
 * 3 µs of server CPU per authenticated request, a third of all Attune adds to it (npm run bench -- http).
 */
function cacheKeyOf(secret: string): string {
  return hash('sha256', secret, 'base64')
}
