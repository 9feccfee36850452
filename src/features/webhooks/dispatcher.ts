import http from 'node:http'
import https from 'node:https'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Clock } from '../../clock.ts'
import type { Database } from '../../db/schema.ts'
import { postWebhook, type PostResult } from './deliver.ts'
import { claimDeliveries, DELIVERIES_CHANNEL, loadProfileIdentifiers, type ClaimedDelivery } from './dispatch.queries.ts'
import { recordOutcome } from './outcome.ts'
import { buildPayload, subscriberFromIdentifiers, type Subscriber } from './payload.ts'
import { signedHeaders } from './sign.ts'
import { checkUrlForm } from './url-safety.ts'

/** The logger methods the dispatcher uses; a pino Logger fits. */
export interface DispatcherLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Options of startDispatcher. */
export interface DispatcherOptions {
  db: Kysely<Database>
  clock: Clock
  log: DispatcherLogger
  /** ATTUNE_WEBHOOK_ALLOW_PRIVATE: private, loopback and link-local targets allowed. */
  allowPrivate: boolean
  /** ATTUNE_ALLOW_HTTP_WEBHOOKS: http:// targets allowed. */
  allowHttp: boolean
  /** Opens a connection to LISTEN for new deliveries; default: poll only. */
  listen?: (() => pg.Client) | undefined
  /** Requests in flight per URL, across dispatchers. Default 4. */
  perUrlConcurrency?: number
  /** Pacing: request starts per second per URL, in this process. Default 1,000 (one per millisecond). */
  perUrlRate?: number
  /** Requests in flight in this process, over all URLs. Default 64. */
  maxInFlight?: number
  /** A request not answered within this fails. Default 10,000 (ATTENTIVE_API.md §4.4). */
  timeoutMs?: number
  /** Time between claims when nothing wakes the dispatcher. Default 1,000. */
  pollIntervalMs?: number
  /** Most response bytes read. Default 4,096. */
  responseLimitBytes?: number
  /** Uniform in [0, 1), for retry jitter. Default Math.random. */
  random?: () => number
}

/** A running dispatcher. */
export interface Dispatcher {
  /** Claims at once instead of at the next poll (after moving a test clock, say). */
  wake(): void
  /** Stops claiming and waits for requests in flight (at most the timeout); unfinished ones are re-sent later. */
  stop(): Promise<void>
}

/**
 * Starts the webhook dispatcher of a worker process: claims due deliveries (claimDeliveries), signs and POSTs
 * each, and records the outcome with its retry (outcome.ts). Requests to one URL are limited in number
 * (perUrlConcurrency) and paced (perUrlRate), and every request runs on its own, so a slow or hanging receiver
 * holds at most its own slots while other URLs' deliveries are claimed and sent.
 */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { db, clock, log } = options
  const perUrl = options.perUrlConcurrency ?? 4
  const spacingMs = 1000 / (options.perUrlRate ?? 1000)
  const maxInFlight = options.maxInFlight ?? 64
  const timeoutMs = options.timeoutMs ?? 10_000
  const pollIntervalMs = options.pollIntervalMs ?? 1000
  const random = options.random ?? Math.random
  // The lease outlives the request's timeout; past it, another dispatcher may take the delivery over.
  const leaseMs = timeoutMs + 60_000
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) }
  const running = new Set<Promise<void>>()
  const nextStart = new Map<string, number>()
  let stopping = false
  let woken = false
  let wakeLoop: (() => void) | undefined
  let listener: pg.Client | undefined

  const wake = () => {
    woken = true
    wakeLoop?.()
  }

  /** Waits for this URL's next start slot: starts to one URL are at least 1/perUrlRate seconds apart. */
  async function pace(url: string): Promise<void> {
    const now = performance.now()
    const at = Math.max(now, nextStart.get(url) ?? 0)
    nextStart.set(url, at + spacingMs)
    if (nextStart.size > 10_000) for (const [key, value] of nextStart) if (value < now) nextStart.delete(key)
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now))
  }

  async function send(delivery: ClaimedDelivery, profile: Subscriber | undefined): Promise<PostResult> {
    const problem = checkUrlForm(delivery.url, { allowHttp: options.allowHttp, allowPrivate: options.allowPrivate })
    if (problem) return { statusCode: undefined, latencyMs: 0, error: `url ${problem}`, responseExcerpt: undefined, retryAfter: undefined }
    const payload = buildPayload({
      registeredType: delivery.eventType,
      event: { type: delivery.domainType, userId: delivery.userId, occurredAt: delivery.occurredAt, payload: delivery.payload },
      company: { id: delivery.companyId, name: delivery.companyName },
      profile,
    })
    const body = Buffer.from(JSON.stringify(payload))
    const now = clock.now()
    const overlap = delivery.previousSecret && delivery.previousSecretExpiresAt && delivery.previousSecretExpiresAt > now
    const headers = signedHeaders({
      id: delivery.messageId,
      timestamp: Math.floor(now.getTime() / 1000),
      attempt: delivery.attempt,
      body,
      secrets: overlap && delivery.previousSecret ? [delivery.secret, delivery.previousSecret] : [delivery.secret],
    })
    await pace(delivery.url)
    return postWebhook(delivery.url, headers, body, {
      timeoutMs,
      responseLimitBytes: options.responseLimitBytes,
      allowPrivate: options.allowPrivate,
      agents,
    })
  }

  function start(delivery: ClaimedDelivery, profile: Subscriber | undefined): void {
    const task = (async () => {
      const result = await send(delivery, profile)
      await recordOutcome(db, { delivery, result, now: clock.now(), random: random() })
    })()
      .catch((error: unknown) =>
        // The lease runs out and the delivery is sent again, with the same webhook-id.
        log.error({ err: error, deliveryId: delivery.id }, 'webhook delivery bookkeeping failed'),
      )
      .finally(() => {
        running.delete(task)
        wake()
      })
    running.add(task)
  }

  async function claim(): Promise<void> {
    const free = maxInFlight - running.size
    if (free <= 0) return
    const now = clock.now()
    const claimed = await claimDeliveries(db, { now, leaseUntil: new Date(now.getTime() + leaseMs), limit: free, perUrl })
    // Without the profiles the body lacks the subscriber's identifiers, but a delivery is not held back for that.
    const identifiers =
      claimed.length > 0
        ? await loadProfileIdentifiers(db, claimed).catch((error: unknown) => {
            log.warn({ err: error }, 'loading subscriber identifiers for webhooks failed')
            return new Map<number, never>()
          })
        : new Map<number, never>()
    for (const delivery of claimed) {
      const found = delivery.userId !== null ? identifiers.get(delivery.userId) : undefined
      start(delivery, found && delivery.userId !== null ? subscriberFromIdentifiers(delivery.userId, found) : undefined)
    }
    // A full batch suggests more is due: claim again without waiting.
    if (claimed.length > 0 && running.size < maxInFlight) woken = true
  }

  async function listen(): Promise<void> {
    if (!options.listen || listener || stopping) return
    const client = options.listen()
    listener = client
    client.on('notification', wake)
    client.on('error', (error) => {
      log.warn({ err: error }, 'webhook notifications lost; polling until the LISTEN connection is back')
      if (listener === client) listener = undefined
      client.end().catch(() => {})
    })
    try {
      await client.connect()
      await client.query(`listen ${DELIVERIES_CHANNEL}`)
    } catch (error) {
      if (listener === client) listener = undefined
      await client.end().catch(() => {})
      throw error
    }
  }

  const sleep = () =>
    new Promise<void>((resolve) => {
      if (woken || stopping) return resolve()
      const timer = setTimeout(resolve, pollIntervalMs)
      wakeLoop = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  const loop = (async () => {
    while (!stopping) {
      woken = false
      await listen().catch((error: unknown) => log.warn({ err: error }, 'LISTEN for webhook deliveries failed; polling'))
      await claim().catch((error: unknown) => log.error({ err: error }, 'claiming webhook deliveries failed'))
      await sleep()
      wakeLoop = undefined
    }
  })()

  let stopped: Promise<void> | undefined
  async function shutdown(): Promise<void> {
    stopping = true
    wake()
    await loop
    await Promise.race([Promise.all(running), new Promise((resolve) => setTimeout(resolve, timeoutMs + 1000).unref())])
    const client = listener
    listener = undefined
    await client?.end().catch(() => {})
    agents.http.destroy()
    agents.https.destroy()
    log.info({}, 'webhook dispatcher stopped')
  }

  log.info({ perUrl, maxInFlight, timeoutMs }, 'webhook dispatcher started')
  return { wake, stop: () => (stopped ??= shutdown()) }
}
