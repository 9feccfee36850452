import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { Database } from '../../db/schema.ts'
import { EventTypeRegistry } from './event-types.ts'
import type { PreparedEvent } from './events.service.ts'
import { scheduleMaintenance } from './maintenance.job.ts'
import { storeEvents, type StoreOutcome } from './store-events.ts'

/** The logger methods the writer uses; a pino Logger fits. */
interface WriterLog {
  warn(obj: object, msg: string): void
}

/** Options of the EventWriter. */
export interface EventWriterOptions {
  db: Kysely<Database>
  clock: Clock
  log: WriterLog
  /** Most events one transaction holds. Default 1,000. */
  maxBatch?: number
  /** Most transactions writing single events at once; each holds a pool connection. Default 2. */
  concurrency?: number
  /** Queued events that justify a second transaction while one runs. Default 200. */
  parallelBacklog?: number
}

interface Pending {
  event: PreparedEvent
  resolve: (outcome: StoreOutcome) => void
  reject: (error: Error) => void
}

/** How often a process makes sure the maintenance job exists (it reschedules itself; this only seeds it). */
const MAINTENANCE_CHECK_MS = 60 * 60 * 1000

// PostgreSQL's deadlock_detected and serialization_failure: the batch did nothing wrong and may simply run again.
const RETRYABLE = new Set(['40P01', '40001'])

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/**
 * Group commit for events. A 2xx must mean committed, and one transaction per request spends most of its time
 * on the commit (one INSERT per request measured 26 % of an empty handler's rate), so requests arriving together
 * share one: `submit` queues the event and resolves once the transaction holding it has committed. A batch
 * starts as soon as a writer slot is free, on the next turn of the event loop, with everything queued by then
 * (up to maxBatch); while the slots are busy, arrivals gather for the next one, so batches grow with the load
 * and cost nothing when it is light. Every event was checked before it was queued, so a batch fails only on a
 * fault; it is then retried once if PostgreSQL asked for it (deadlock), and otherwise written event by event, so
 * one event's fault never fails the others. Measured in BENCHMARKS.md ("events").
 */
export class EventWriter {
  private readonly db: Kysely<Database>
  private readonly clock: Clock
  private readonly log: WriterLog
  private readonly maxBatch: number
  private readonly concurrency: number
  private readonly parallelBacklog: number
  private readonly registry = new EventTypeRegistry()
  private readonly queue: Pending[] = []
  private running = 0
  private scheduled = false
  private maintenanceCheckedAt = Number.NEGATIVE_INFINITY
  private idle: Array<() => void> = []

  constructor(options: EventWriterOptions) {
    this.db = options.db
    this.clock = options.clock
    this.log = options.log
    this.maxBatch = options.maxBatch ?? 1000
    this.concurrency = options.concurrency ?? 2
    this.parallelBacklog = options.parallelBacklog ?? 200
  }

  /** Queues one event; resolves after the commit of the transaction that stored it (or found it a repeat). */
  submit(event: PreparedEvent): Promise<StoreOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject })
      this.kick()
    })
  }

  /** Writes events given together (the batch endpoint) in one transaction; each gets its outcome or its error. */
  writeMany(events: PreparedEvent[]): Promise<Array<StoreOutcome | Error>> {
    this.running++
    return this.write(events).finally(() => this.release())
  }

  /** Resolves once nothing is queued or being written (app shutdown: every accepted event is answered first). */
  async drain(): Promise<void> {
    while (this.running > 0 || this.queue.length > 0 || this.scheduled) {
      await new Promise<void>((resolve) => this.idle.push(resolve))
    }
  }

  private kick(): void {
    if (this.scheduled || this.queue.length === 0 || this.running >= this.concurrency) return
    // One transaction at a time while the queue is short: what arrives meanwhile joins the next one, and a
    // bigger batch costs less per event (node and PostgreSQL spend per statement, not per row). A backlog of
    // parallelBacklog or more means one writer cannot keep up: then more run at once.
    if (this.running > 0 && this.queue.length < this.parallelBacklog) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      while (this.running < this.concurrency && this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch)
        this.running++
        void this.flush(batch).finally(() => this.release())
      }
    })
  }

  private release(): void {
    this.running--
    this.kick()
    if (this.running === 0 && this.queue.length === 0 && !this.scheduled) {
      for (const wake of this.idle.splice(0)) wake()
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const outcomes = await this.write(batch.map((pending) => pending.event))
    outcomes.forEach((outcome, index) => {
      const pending = batch[index]
      if (!pending) return
      if (outcome instanceof Error) pending.reject(outcome)
      else pending.resolve(outcome)
    })
  }

  private async write(events: PreparedEvent[]): Promise<Array<StoreOutcome | Error>> {
    try {
      return await this.transact(events)
    } catch (error) {
      if (RETRYABLE.has((error as { code?: string }).code ?? '')) {
        try {
          return await this.transact(events)
        } catch {
          // fall through to one transaction per event
        }
      }
      if (events.length === 1) return [asError(error)]
      this.log.warn({ err: error, events: events.length }, 'event batch failed; writing its events one by one')
      const outcomes: Array<StoreOutcome | Error> = []
      for (const event of events) {
        outcomes.push(await this.transact([event]).then((result) => result[0] ?? 'stored', asError))
      }
      return outcomes
    }
  }

  private async transact(events: PreparedEvent[]): Promise<StoreOutcome[]> {
    const now = this.clock.now()
    const checkMaintenance = now.getTime() - this.maintenanceCheckedAt >= MAINTENANCE_CHECK_MS
    const stored = await this.db.transaction().execute(async (tx) => {
      const batch = await storeEvents(tx, events, this.registry, now)
      if (checkMaintenance) await scheduleMaintenance(tx, now)
      return batch
    })
    if (checkMaintenance) this.maintenanceCheckedAt = now.getTime()
    stored.afterCommit()
    return stored.outcomes
  }
}
