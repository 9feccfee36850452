import { randomBytes } from 'node:crypto'
import os from 'node:os'
import type { Kysely, Transaction } from 'kysely'
import pg from 'pg'
import type { Clock } from '../clock.ts'
import { createClient } from '../db/connect.ts'
import { ChannelListener } from '../db/listener.ts'
import type { Database } from '../db/schema.ts'
import { claimJobs, failJob, releaseJobs, takeJob, type Job } from './claim.ts'
import { JOBS_CHANNEL } from './enqueue.ts'

export type { Job } from './claim.ts'

/** What a handler gets besides the job. */
export interface JobContext {
  /** The job's own transaction: everything written here commits with the job's deletion, or not at all. */
  tx: Transaction<Database>
  /** For work that must outlive a failed attempt (rare; prefer `tx`). */
  db: Kysely<Database>
  /** Aborted when the worker stops and the grace period is over: stop soon, by throwing. */
  signal: AbortSignal
  /** The worker's clock reading when the job started. */
  now: Date
}

/** Runs one job. Throwing fails the attempt: its transaction rolls back and the job retries with backoff. */
export type JobHandler<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<void>

/** The logger methods the worker uses; a pino Logger fits. */
export interface QueueLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** How a job's attempt ended, as reported to `onOutcome`. */
export type JobOutcome = 'completed' | 'failed' | 'dead'

/** Options of `startWorker`. */
export interface WorkerOptions {
  /** Its pool needs concurrency + 1 connections (one per running job, one to claim) for full speed. */
  db: Kysely<Database>
  /** Handlers by job kind. A job of any other kind fails (and ends dead), so it is never silently lost. */
  handlers: Record<string, JobHandler<never>>
  clock: Clock
  log: QueueLogger
  /** Jobs run at once. Default 20. */
  concurrency?: number
  /** Most jobs claimed per statement (never more than free slots). Default: concurrency. */
  batchSize?: number
  /** How long a claim holds a job whose worker died before another may take it. Default 300,000 (5 min). */
  leaseMs?: number
  /** Time between claims when no notification arrives. Default 1,000. */
  pollIntervalMs?: number
  /** Written to jobs.locked_by. Default: hostname, pid and a random suffix. */
  workerId?: string
  /** After stop(), how long running jobs may finish before their signal aborts. Default 10,000. */
  shutdownGraceMs?: number
  /**
   * LISTEN for enqueue notifications (a connection string, or a function returning a new unconnected client).
   * Default: poll only.
   */
  listen?: string | (() => pg.Client | Promise<pg.Client>)
  /** Called once per finished attempt, e.g. to count outcomes by kind. */
  onOutcome?: (kind: string, outcome: JobOutcome) => void
  /** Source of jitter for backoffMs, in [0, 1). Default Math.random. */
  random?: () => number
}

/** A running worker. */
export interface Worker {
  readonly workerId: string
  /** Stops claiming, lets running jobs finish within the grace period, then aborts and releases the rest. */
  stop(): Promise<void>
}

const BACKOFF_BASE_MS = 1000
const BACKOFF_CAP_MS = 60 * 60 * 1000

/**
 * Delay before retrying after failed attempt number `attempt` (1 for the first): "full jitter" (AWS
 * Architecture Blog, "Exponential Backoff and Jitter"), a uniform pick in [0, min(1 h, 1 s * 2^(attempt -
 * 1))), so failing jobs spread out instead of retrying in step. `random` is in [0, 1).
 */
export function backoffMs(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1))
  return Math.floor(random * ceiling)
}

interface Running {
  job: Job
  controller: AbortController
  done: Promise<void>
}

/** Starts claiming and running jobs until stop(). */
export function startWorker(options: WorkerOptions): Worker {
  const { db, handlers, clock, log, onOutcome } = options
  const concurrency = options.concurrency ?? 20
  const batchSize = Math.min(options.batchSize ?? concurrency, concurrency)
  const leaseMs = options.leaseMs ?? 300_000
  const pollIntervalMs = options.pollIntervalMs ?? 1000
  const graceMs = options.shutdownGraceMs ?? 10_000
  const random = options.random ?? Math.random
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const running = new Map<number, Running>()
  let stopping = false
  // More jobs were probably due at the last claim, so a freed slot should claim again at once.
  let backlog = false
  let woken = false
  let wakeLoop: (() => void) | undefined

  const wake = () => {
    woken = true
    wakeLoop?.()
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

  async function claimBatch(): Promise<void> {
    const free = concurrency - running.size
    if (free <= 0) {
      backlog = true
      return
    }
    const limit = Math.min(batchSize, free)
    const jobs = await claimJobs(db, { workerId, now: clock.now(), leaseMs, limit })
    if (stopping) {
      await releaseJobs(db, jobs, workerId) // claimed while stop() was called: give them back unstarted
      return
    }
    backlog = jobs.length === limit
    for (const job of jobs) startJob(job)
    if (backlog && running.size < concurrency) woken = true
  }

  function startJob(job: Job): void {
    const controller = new AbortController()
    const entry: Running = { job, controller, done: Promise.resolve() }
    running.set(job.id, entry)
    entry.done = runJob(job, controller.signal)
      .catch((error: unknown) =>
        log.error({ err: error, jobId: job.id, kind: job.kind }, 'job bookkeeping failed'),
      )
      .finally(() => {
        running.delete(job.id)
        if (backlog) wake()
      })
  }

  async function runJob(job: Job, signal: AbortSignal): Promise<void> {
    const handler = Object.hasOwn(handlers, job.kind) ? (handlers[job.kind] as JobHandler) : undefined
    if (job.attempts > job.maxAttempts) {
      return fail(job, 'the worker running its last attempt stopped without finishing (lease expired)')
    }
    if (!handler) return fail(job, `no handler for job kind '${job.kind}' in worker ${workerId}`)
    let taken = false
    try {
      await db.transaction().execute(async (tx) => {
        if (signal.aborted) throw new Error('worker stopping')
        taken = await takeJob(tx, job, workerId)
        if (!taken) return
        await handler(job, { tx, db, signal, now: clock.now() })
      })
    } catch (error) {
      if (signal.aborted) {
        await releaseJobs(db, [job], workerId)
        return
      }
      return fail(job, describe(error))
    }
    if (!taken) {
      log.warn(
        { jobId: job.id, kind: job.kind, workerId },
        'job skipped: its lease ran out and was lost before it started',
      )
      return
    }
    onOutcome?.(job.kind, 'completed')
  }

  async function fail(job: Job, error: string): Promise<void> {
    const now = clock.now()
    const retryAt = new Date(now.getTime() + backoffMs(job.attempts, random()))
    const outcome = await failJob(db, job, workerId, { error, now, retryAt })
    if (!outcome) return
    const fields = { jobId: job.id, kind: job.kind, attempts: job.attempts, error }
    if (outcome === 'dead') log.error(fields, 'job dead after its last attempt')
    else log.warn({ ...fields, retryAt }, 'job failed; will retry')
    onOutcome?.(job.kind, outcome)
  }

  const listener = options.listen
    ? new ChannelListener({
        connect: typeof options.listen === 'string' ? () => createClient(options.listen as string, 'attune-worker') : options.listen,
        channel: JOBS_CHANNEL,
        onNotify: wake,
        onLost: (error) =>
          log.warn({ err: error, workerId }, 'job notifications lost; polling until the LISTEN connection is back'),
      })
    : undefined

  const loop = (async () => {
    while (!stopping) {
      woken = false
      await listener?.ensure().catch((error: unknown) => log.warn({ err: error, workerId }, 'LISTEN failed; polling'))
      await claimBatch().catch((error: unknown) =>
        log.error({ err: error, workerId }, 'claiming jobs failed'),
      )
      await sleep()
      wakeLoop = undefined
    }
  })()

  let stopped: Promise<void> | undefined
  async function shutdown(): Promise<void> {
    stopping = true
    wake()
    await loop
    const active = [...running.values()]
    if (!(await settlesWithin(active, graceMs))) {
      log.warn({ workerId, jobIds: [...running.keys()] }, 'stopping: aborting and releasing unfinished jobs')
      for (const entry of running.values()) entry.controller.abort()
      if (!(await settlesWithin(active, graceMs))) {
        log.error(
          { workerId, jobIds: [...running.keys()] },
          'jobs ignored their abort signal; they rerun after the lease',
        )
      }
    }
    await listener?.close()
    log.info({ workerId }, 'worker stopped')
  }

  log.info({ workerId, concurrency, leaseMs }, 'worker started')
  return { workerId, stop: () => (stopped ??= shutdown()) }
}

async function settlesWithin(entries: Running[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const all = Promise.all(entries.map((entry) => entry.done)).then(() => true)
  const settled = await Promise.race([all, timeout])
  clearTimeout(timer)
  return settled
}

function describe(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error)
  return text.slice(0, 4000)
}
