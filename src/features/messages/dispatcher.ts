import { randomBytes } from 'node:crypto'
import os from 'node:os'
import type { Kysely, Transaction } from 'kysely'
import type pg from 'pg'
import { ChannelListener } from '../../db/listener.ts'
import type { Carrier, SendResult } from '../../carriers/carrier.ts'
import { parseOutcomeMix, SandboxCarrier } from '../../carriers/sandbox.ts'
import type { Clock } from '../../clock.ts'
import type { Config } from '../../config.ts'
import type { Database } from '../../db/schema.ts'
import { cachedSettings, claimAndDecide } from './dispatch.service.ts'
import { postponeSending } from './dispatch.queries.ts'
import { scheduleReceiptExpiry } from './expire.job.ts'
import { MESSAGES_CHANNEL } from './messages.service.ts'
import { applyReceipts, markFailed, markSent } from './receipts.service.ts'

/** The logger methods the dispatcher uses; a pino Logger fits. */
export interface DispatchLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Options of startMessageDispatcher. */
export interface MessageDispatcherOptions {
  /** Its pool needs `loops` + 2 connections (a claim each, receipts, LISTEN) for full speed. */
  db: Kysely<Database>
  clock: Clock
  log: DispatchLogger
  carrier: Carrier
  /** Messages claimed per statement. Default 500. */
  batchSize?: number
  /** Claim loops running at once, so one batch's commit overlaps another's rules. Default 2. */
  loops?: number
  /** Time a handed-over message stays `sending` before another dispatcher reconciles it. Default 60,000. */
  leaseMs?: number
  /** Claims of a message before an unreconciled hand-off ends `failed`. Default 10. */
  maxAttempts?: number
  /** Delay before a message the carrier did not take is tried again. Default 30,000. */
  retryDelayMs?: number
  /** Time between claims when no notification arrives. Default 1,000. */
  pollIntervalMs?: number
  /** Time between checks for due sandbox receipts. Default 200. */
  receiptIntervalMs?: number
  /** Opens a connection to LISTEN for new messages; default: poll only. */
  listen?: (() => pg.Client) | undefined
  /**
   * Called after the carrier accepted a batch and before that is recorded: the window in which a crash leaves
   * messages `sending` (the crash test kills its process here). Default none.
   */
  afterHandOff?: ((ids: number[]) => void | Promise<void>) | undefined
}

/** A running message dispatcher. */
export interface MessageDispatcher {
  readonly carrier: Carrier
  /** Claims at once instead of at the next poll (after moving a test clock, say). */
  wake(): void
  /** Stops claiming, finishes the batches in flight, and closes the carrier. */
  stop(): Promise<void>
}

/** The carrier configured for this process (ATTUNE_CARRIER). */
export function createCarrier(config: Config, db: Kysely<Database>, clock: Clock): Carrier {
  return new SandboxCarrier({
    db,
    clock,
    receiptDelayMs: config.sandboxReceiptDelayMs,
    outcomes: parseOutcomeMix(config.sandboxOutcomes),
  })
}

/**
 * Starts the message dispatcher of a worker process (docs/adr/0011-message-dispatch.md): `loops` loops each
 * claim a batch of due messages, decide every rule (claimAndDecide) and commit, hand the batch to the carrier,
 * then record what it accepted in a second commit. A sandbox carrier's receipts are applied by a loop of their own.
 */
export function startMessageDispatcher(options: MessageDispatcherOptions): MessageDispatcher {
  const { db, clock, log, carrier } = options
  const batchSize = options.batchSize ?? 500
  const leaseMs = options.leaseMs ?? 60_000
  const maxAttempts = options.maxAttempts ?? 10
  const retryDelayMs = options.retryDelayMs ?? 30_000
  const pollIntervalMs = options.pollIntervalMs ?? 1000
  const receiptIntervalMs = options.receiptIntervalMs ?? 200
  const workerId = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  let stopping = false
  const sleepers = new Set<() => void>()
  // Counts wake-ups, so a notification that arrives while a loop is busy is not lost: the loop compares the
  // count it saw before its batch and does not sleep if it moved.
  let wakeups = 0

  // One sleeping loop per wake-up: a notification is usually a few messages, which one claim takes; a loop that
  // finds a full batch wakes the next (below), so a backlog still gets every loop.
  const wake = () => {
    wakeups += 1
    const [first] = sleepers
    first?.()
  }
  const wakeAll = () => {
    wakeups += 1
    for (const resume of [...sleepers]) resume()
  }
  const sleep = (ms: number, seen = wakeups) =>
    new Promise<void>((resolve) => {
      if (stopping || wakeups !== seen) return resolve()
      const done = () => {
        clearTimeout(timer)
        sleepers.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      sleepers.add(done)
    })

  const settings = cachedSettings(1000)

  /**
   * One batch: records what the carrier said about the previous batch (`pending`) and claims the next in one
   * transaction, then hands the new batch over. Returns how many it claimed and the carrier's answers, which the
   * next batch records (or the loop, before it sleeps): under a backlog that is one commit per batch instead of
   * two. Until recorded, the messages are `sending`, so a crash in between is reconciled like any other.
   */
  async function dispatchBatch(pending: SendResult[]): Promise<{ claimed: number; results: SendResult[] }> {
    const now = clock.now()
    const { claimed, toSend } = await db.transaction().execute(async (tx) => {
      await recordResults(tx, pending, now)
      return claimAndDecide(tx, { carrier, now, limit: batchSize, leaseMs, maxAttempts, settings })
    })
    if (toSend.length === 0) return { claimed, results: [] }
    let results: SendResult[]
    try {
      results = await carrier.send(toSend)
    } catch (error) {
      // Whether the carrier took any of them is unknown: they stay `sending` and are reconciled after the lease.
      log.warn(
        { err: error, count: toSend.length, workerId },
        'hand-off to the carrier failed; reconciling after the lease',
      )
      return { claimed, results: [] }
    }
    await options.afterHandOff?.(toSend.map((m) => m.id))
    return { claimed, results }
  }

  async function recordResults(tx: Transaction<Database>, results: SendResult[], now: Date): Promise<void> {
    if (results.length === 0) return
    const accepted = results.flatMap((r) => (r.ok ? [{ id: r.id, providerId: r.providerId }] : []))
    const refused = results.flatMap((r) => (!r.ok && r.permanent ? [{ id: r.id, error: r.error }] : []))
    const retry = results.flatMap((r) => (!r.ok && !r.permanent ? [r] : []))
    await markSent(tx, accepted, now)
    await markFailed(tx, refused, now)
    const error = retry[0] && !retry[0].ok ? retry[0].error : ''
    await postponeSending(
      tx,
      retry.map((r) => r.id),
      new Date(now.getTime() + retryDelayMs),
      error,
      now,
    )
  }

  /** Records `pending` on its own; on failure they stay `sending` and are reconciled after the lease. */
  async function flush(pending: SendResult[]): Promise<void> {
    if (pending.length === 0) return
    await db
      .transaction()
      .execute((tx) => recordResults(tx, pending, clock.now()))
      .catch((error: unknown) =>
        log.warn({ err: error, workerId }, 'recording hand-offs failed; reconciling after the lease'),
      )
  }

  async function claimLoop(): Promise<void> {
    let pending: SendResult[] = []
    while (!stopping) {
      const seen = wakeups
      let claimed = 0
      try {
        const batch = await dispatchBatch(pending)
        claimed = batch.claimed
        pending = batch.results
      } catch (error) {
        log.error({ err: error, workerId }, 'message dispatch batch failed')
        await flush(pending)
        pending = []
      }
      // A full batch means more are probably due: claim again at once, recording this one with it. Otherwise
      // record now, so a quiet dispatcher leaves nothing `sending`.
      if (claimed >= batchSize) wake()
      if (claimed < batchSize || stopping) {
        await flush(pending)
        pending = []
        await sleep(pollIntervalMs, seen)
      }
    }
    await flush(pending)
  }

  async function receiptLoop(sandbox: SandboxCarrier): Promise<void> {
    while (!stopping) {
      let taken = 0
      try {
        taken = await db.transaction().execute(async (tx) => {
          const now = clock.now()
          const records = await sandbox.takeDueReceipts(tx, now, batchSize)
          const outcome = await applyReceipts(tx, sandbox.parseReceipts(records), now)
          if (outcome.unknownIds.length > 0) {
            log.warn(
              { messageIds: outcome.unknownIds.slice(0, 20) },
              'receipts for unknown message ids dropped',
            )
          }
          return records.length
        })
      } catch (error) {
        log.error({ err: error, workerId }, 'applying sandbox receipts failed')
      }
      if (taken < batchSize) await sleep(receiptIntervalMs)
    }
  }

  const listener = options.listen
    ? new ChannelListener({
        connect: options.listen,
        channel: MESSAGES_CHANNEL,
        onNotify: wake,
        onLost: (error) => log.warn({ err: error, workerId }, 'message notifications lost; polling'),
      })
    : undefined

  const started = (async () => {
    await listener?.ensure().catch((error: unknown) => log.warn({ err: error, workerId }, 'LISTEN failed; polling'))
    await db
      .transaction()
      .execute((tx) => scheduleReceiptExpiry(tx, clock.now()))
      .catch((error: unknown) => log.warn({ err: error }, 'could not schedule the receipt expiry job'))
  })()
  const loops = [
    ...Array.from({ length: options.loops ?? 2 }, () => started.then(claimLoop)),
    ...(carrier instanceof SandboxCarrier ? [started.then(() => receiptLoop(carrier))] : []),
  ]
  log.info(
    { workerId, batchSize, loops: options.loops ?? 2, carrier: carrier.name },
    'message dispatcher started',
  )

  let stopped: Promise<void> | undefined
  return {
    carrier,
    wake,
    stop: () =>
      (stopped ??= (async () => {
        stopping = true
        wakeAll()
        await Promise.all(loops)
        await listener?.close()
        await carrier.close()
      })()),
  }
}
