import http from 'node:http'
import https from 'node:https'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import { ChannelListener } from '../../db/listener.ts'
import type { Clock } from '../../clock.ts'
import type { Database } from '../../db/schema.ts'
import { postWebhook, type PostResult } from './deliver.ts'
import {
  claimDeliveries,
  DELIVERIES_CHANNEL,
  loadProfileIdentifiers,
  releaseDeliveries,
  type AttemptResult,
  type ClaimedDelivery,
} from './dispatch.queries.ts'
import { recordOutcomes } from './outcome.ts'
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
  /** Requests in flight per URL from this process. Default 4. */
  perUrlConcurrency?: number
  /** Pacing: request starts per second per URL, in this process, on average. Default 2,000. */
  perUrlRate?: number
  /** Deliveries this process holds at once, being sent or claimed ahead, over all URLs. Default 256. */
  maxHeld?: number
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
  /**
   * Stops claiming, gives back what was claimed but not sent, waits for requests in flight (at most the timeout)
   * and records their outcomes. Anything still unfinished is sent again after its lease, under the same id.
   */
  stop(): Promise<void>
}

/** A claimed delivery waiting for a slot of its URL, with the profile its body is completed from. */
interface Held {
  delivery: ClaimedDelivery
  profile: Subscriber | undefined
}

/** One URL's deliveries in this process: claimed ahead (queue) and being sent. */
interface Lane {
  queue: Held[]
  sending: number
  /** It answered 410 Gone: send and claim nothing more for it until that answer is recorded (disabling the webhook). */
  gone: boolean
  goneRecorded: boolean
}

/** Deliveries claimed ahead per URL, as a multiple of its concurrency: enough to keep its slots busy between claims. */
const PREFETCH = 8

/**
 * Starts the webhook dispatcher of a worker process. The claim loop leases due deliveries (claimDeliveries) into
 * one lane per URL, a few ahead of its slots. Each lane sends at most perUrlConcurrency at once, paced to
 * perUrlRate; a slot frees as soon as its request ends. Outcomes are recorded by group commit: while one batch is
 * being written the next gathers, so the database sees one statement for many successes (outcome.ts). A slow or
 * hanging receiver thus holds only its own lane while other URLs are claimed and sent.
 */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { db, clock, log } = options
  const perUrl = options.perUrlConcurrency ?? 4
  const spacingMs = 1000 / (options.perUrlRate ?? 2000)
  const burstMs = spacingMs * perUrl
  const maxHeld = options.maxHeld ?? 256
  const timeoutMs = options.timeoutMs ?? 10_000
  const pollIntervalMs = options.pollIntervalMs ?? 1000
  const random = options.random ?? Math.random
  // The lease outlives the longest wait in a lane (behind PREFETCH rounds of requests that all time out), the
  // request's own timeout and the recording; past it, another dispatcher may take the delivery over.
  const leaseMs = timeoutMs * (PREFETCH + 1) + 60_000
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) }
  const lanes = new Map<string, Lane>()
  const running = new Set<Promise<void>>()
  const nextStart = new Map<string, number>()
  const finished: AttemptResult[] = []
  let held = 0
  // The last claim was cut short by a limit (or a lane was full), so more is probably due: claim again as room
  // frees up. Otherwise only a notification, a recorded outcome that unblocks a user's next event, or the poll
  // starts a claim.
  let backlog = false
  let recording: Promise<void> | undefined
  let stopping = false
  let woken = false
  let wakeLoop: (() => void) | undefined

  const wake = () => {
    woken = true
    wakeLoop?.()
  }

  /**
   * Waits for this URL's next start: on average at most perUrlRate a second, a burst of perUrlConcurrency allowed
   * (the generic cell rate algorithm), so timer granularity does not lower the rate below the one configured.
   */
  async function pace(url: string): Promise<void> {
    const now = performance.now()
    const due = Math.max(now, nextStart.get(url) ?? 0)
    nextStart.set(url, due + spacingMs)
    if (nextStart.size > 10_000) for (const [key, value] of nextStart) if (value < now) nextStart.delete(key)
    const wait = due - burstMs - now
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  }

  async function send({ delivery, profile }: Held, attemptedAt: Date): Promise<PostResult> {
    const problem = checkUrlForm(delivery.url, { allowHttp: options.allowHttp, allowPrivate: options.allowPrivate })
    if (problem) return { statusCode: undefined, latencyMs: 0, error: `url ${problem}`, responseExcerpt: undefined, retryAfter: undefined }
    const payload = buildPayload({
      registeredType: delivery.eventType,
      event: { type: delivery.domainType, userId: delivery.userId, occurredAt: delivery.occurredAt, payload: delivery.payload },
      company: { id: delivery.companyId, name: delivery.companyName },
      profile,
    })
    const body = Buffer.from(JSON.stringify(payload))
    const overlap = delivery.previousSecret && delivery.previousSecretExpiresAt && delivery.previousSecretExpiresAt > attemptedAt
    const headers = signedHeaders({
      id: delivery.messageId,
      timestamp: Math.floor(attemptedAt.getTime() / 1000),
      attempt: delivery.attempt,
      body,
      secrets: overlap && delivery.previousSecret ? [delivery.secret, delivery.previousSecret] : [delivery.secret],
    })
    return postWebhook(delivery.url, headers, body, {
      timeoutMs,
      responseLimitBytes: options.responseLimitBytes,
      allowPrivate: options.allowPrivate,
      agents,
    })
  }

  /** Group commit: writes what has finished; whatever finishes meanwhile goes in the next batch. */
  function record(): void {
    if (recording || finished.length === 0) return
    const batch = finished.splice(0)
    recording = recordOutcomes(db, batch, clock.now(), random)
      // Unrecorded, the deliveries stay leased; after the lease they are sent again, under the same webhook-id.
      .catch((error: unknown) => log.error({ err: error, deliveries: batch.length }, 'recording webhook attempts failed'))
      .finally(() => {
        recording = undefined
        for (const result of batch) {
          const lane = result.statusCode === 410 ? lanes.get(result.delivery.url) : undefined
          if (!lane) continue
          lane.goneRecorded = true
          if (lane.sending === 0 && lane.queue.length === 0) lanes.delete(result.delivery.url)
        }
        record()
        // Recorded deliveries no longer hold back their users' next events.
        if (backlog || batch.some((result) => result.delivery.userId !== null)) wake()
      })
  }

  function pump(url: string, lane: Lane): void {
    if (lane.gone && lane.queue.length > 0) {
      // Given back, then cancelled when the 410 is recorded; or sent later if another webhook of the URL is not gone.
      const dropped = lane.queue.splice(0)
      held -= dropped.length
      releaseDeliveries(db, dropped.map((h) => h.delivery)).catch((error: unknown) =>
        log.warn({ err: error }, 'releasing webhook deliveries after a 410 failed'),
      )
    }
    while (!stopping && lane.sending < perUrl && lane.queue.length > 0) {
      const next = lane.queue.shift() as Held
      lane.sending += 1
      const task = (async () => {
        await pace(url)
        const attemptedAt = clock.now()
        const result = await send(next, attemptedAt)
        if (result.statusCode === 410) lane.gone = true
        finished.push({ ...result, delivery: next.delivery, attemptedAt })
        record()
      })()
        .catch((error: unknown) => log.error({ err: error, deliveryId: next.delivery.id }, 'sending a webhook failed'))
        .finally(() => {
          running.delete(task)
          lane.sending -= 1
          held -= 1
          pump(url, lane)
          // Refill while half the claimed-ahead deliveries are left, so the lane does not run dry during a claim.
          if (backlog && lane.queue.length < (perUrl * PREFETCH) / 2) wake()
        })
      running.add(task)
    }
    if (lane.queue.length === 0 && lane.sending === 0 && (!lane.gone || lane.goneRecorded)) lanes.delete(url)
  }

  async function claim(): Promise<void> {
    const free = maxHeld - held
    if (free <= 0) return
    const now = clock.now()
    const byUrl = Object.fromEntries([...lanes].map(([url, lane]) => [url, lane.gone ? perUrl * PREFETCH : lane.queue.length + lane.sending]))
    const claimed = await claimDeliveries(db, {
      now,
      leaseUntil: new Date(now.getTime() + leaseMs),
      limit: free,
      perUrl: perUrl * PREFETCH,
      held: byUrl,
    })
    // Cut short: by the process's limit, or a lane that took all the room it had. Such a claim is repeated at
    // once; a lane that had no room at all (a slow receiver) waits for its requests to finish instead.
    const perLane = new Map<string, number>()
    for (const delivery of claimed) perLane.set(delivery.url, (perLane.get(delivery.url) ?? 0) + 1)
    const room = (url: string) => perUrl * PREFETCH - (byUrl[url] ?? 0)
    const cutShort = claimed.length === free || [...perLane].some(([url, n]) => n >= room(url))
    backlog = cutShort || [...lanes].some(([url, lane]) => !lane.gone && room(url) <= 0)
    if (claimed.length === 0) return
    // Without the profiles the body lacks the subscriber's identifiers, but a delivery is not held back for that.
    const identifiers = await loadProfileIdentifiers(db, claimed).catch((error: unknown) => {
      log.warn({ err: error }, 'loading subscriber identifiers for webhooks failed')
      return new Map<number, never>()
    })
    for (const delivery of claimed) {
      const found = delivery.userId !== null ? identifiers.get(delivery.userId) : undefined
      const profile = found && delivery.userId !== null ? subscriberFromIdentifiers(delivery.userId, found) : undefined
      let lane = lanes.get(delivery.url)
      if (!lane) lanes.set(delivery.url, (lane = { queue: [], sending: 0, gone: false, goneRecorded: false }))
      lane.queue.push({ delivery, profile })
      held += 1
    }
    for (const [url, lane] of lanes) pump(url, lane)
    if (cutShort) woken = true
  }

  const listener = options.listen
    ? new ChannelListener({
        connect: options.listen,
        channel: DELIVERIES_CHANNEL,
        onNotify: wake,
        onLost: (error) =>
          log.warn({ err: error }, 'webhook notifications lost; polling until the LISTEN connection is back'),
      })
    : undefined

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
      await listener?.ensure().catch((error: unknown) => log.warn({ err: error }, 'LISTEN for webhook deliveries failed; polling'))
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
    const unsent = [...lanes.values()].flatMap((lane) => lane.queue.splice(0).map((h) => h.delivery))
    held -= unsent.length
    await releaseDeliveries(db, unsent).catch((error: unknown) => log.warn({ err: error }, 'releasing unsent webhook deliveries failed'))
    await Promise.race([Promise.all(running), new Promise((resolve) => setTimeout(resolve, timeoutMs + 1000).unref())])
    while (recording) await recording
    await listener?.close()
    agents.http.destroy()
    agents.https.destroy()
    log.info({}, 'webhook dispatcher stopped')
  }

  log.info({ perUrl, maxHeld, timeoutMs }, 'webhook dispatcher started')
  return { wake, stop: () => (stopped ??= shutdown()) }
}
