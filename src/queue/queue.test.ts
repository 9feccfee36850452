import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { sql, type Transaction } from 'kysely'
import { ManualClock, systemClock } from '../clock.ts'
import { createDb, createPool } from '../db/connect.ts'
import type { Database } from '../db/schema.ts'
import { createTestDatabase } from '../../test/helpers/test-db.ts'
import { waitFor } from '../../test/helpers/wait-for.ts'
import { claimJobs } from './claim.ts'
import { enqueue, enqueueMany, type NewJob } from './enqueue.ts'
import { backoffMs, startWorker, type JobOutcome, type WorkerOptions } from './runner.ts'

const silent = { info() {}, warn() {}, error() {} }

type TestWorkerOptions = Omit<WorkerOptions, 'db' | 'clock' | 'log'> &
  Partial<Pick<WorkerOptions, 'clock' | 'log'>>

/**
 * A database of its own with a `job_runs` table for handlers to write to, and `start()` for workers with a
 * pool each. Cleanups run newest first, so workers stop before their pools close and the database is dropped.
 */
async function openQueueTest(t: TestContext) {
  const cleanups: Array<() => unknown> = []
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })
  const { url, db } = await createTestDatabase({ after: (fn) => void cleanups.push(() => fn?.(t, () => {})) })
  await sql`create table job_runs (job_id bigint not null, worker text not null, attempts int not null)`.execute(
    db,
  )
  const start = (options: TestWorkerOptions) => {
    const concurrency = options.concurrency ?? 4
    const workerDb = createDb(createPool(url, { max: concurrency + 2 }))
    const worker = startWorker({
      db: workerDb,
      clock: systemClock,
      log: silent,
      pollIntervalMs: 20,
      ...options,
    })
    cleanups.push(async () => {
      await worker.stop()
      await workerDb.destroy()
    })
    return worker
  }
  const add = (jobs: NewJob[]) => db.transaction().execute((tx) => enqueueMany(tx, jobs))
  const job = (id: number) => db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
  const count = async (table: 'jobs' | 'job_runs') =>
    Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]?.n)
  return { url, db, start, add, job, count, cleanups }
}

function recordRun(tx: Transaction<Database>, jobId: number, worker: string, attempts: number) {
  return sql`insert into job_runs (job_id, worker, attempts) values (${jobId}, ${worker}, ${attempts})`.execute(
    tx,
  )
}

test('a job enqueued in a transaction that rolls back never runs', async (t) => {
  const q = await openQueueTest(t)
  const ran: number[] = []
  await q.db
    .transaction()
    .execute(async (tx) => {
      await enqueue(tx, { kind: 'test.record', payload: {} })
      throw new Error('the request failed after enqueueing')
    })
    .catch(() => {})
  const [committed] = await q.add([{ kind: 'test.record', payload: {} }])
  q.start({ handlers: { 'test.record': async (job) => void ran.push(job.id) } })
  await waitFor(async () => ran.includes(committed!) && (await q.count('jobs')) === 0)
  assert.deepEqual(ran, [committed])
})

test('four workers run each of 10,000 jobs exactly once', async (t) => {
  const q = await openQueueTest(t)
  const ids = await q.add(Array.from({ length: 10_000 }, (_, n) => ({ kind: 'test.record', payload: { n } })))
  const started = performance.now()
  for (const name of ['w1', 'w2', 'w3', 'w4']) {
    q.start({
      workerId: name,
      concurrency: 10,
      handlers: { 'test.record': (job, { tx }) => recordRun(tx, job.id, name, job.attempts).then(() => {}) },
    })
  }
  await waitFor(async () => (await q.count('jobs')) === 0, { timeoutMs: 45_000, intervalMs: 50 })
  t.diagnostic(`10,000 jobs over 4 workers x 10 slots: ${Math.round(performance.now() - started)} ms`)
  const runs = await sql<{ runs: number; jobs: number; workers: number; retried: number }>`
    select count(*)::int as runs, count(distinct job_id)::int as jobs, count(distinct worker)::int as workers,
      count(*) filter (where attempts > 1)::int as retried
    from job_runs
  `.execute(q.db)
  assert.deepEqual(runs.rows[0], { runs: 10_000, jobs: 10_000, workers: 4, retried: 0 })
  const missing =
    await sql`select id from unnest(${ids}::bigint[]) id except select job_id from job_runs`.execute(q.db)
  assert.deepEqual(missing.rows, [])
})

test('a failing job backs off by backoffMs, its writes roll back, and it is dead after maxAttempts', async (t) => {
  const q = await openQueueTest(t)
  const clock = new ManualClock()
  const outcomes: string[] = []
  let calls = 0
  q.start({
    clock,
    random: () => 0.5,
    onOutcome: (kind: string, outcome: JobOutcome) => void outcomes.push(`${kind} ${outcome}`),
    handlers: {
      'test.fail': async (job, { tx }) => {
        calls++
        await recordRun(tx, job.id, 'w', job.attempts)
        throw new Error('carrier said no')
      },
      'test.noop': async () => {},
    },
  })
  const [id] = await q.add([{ kind: 'test.fail', payload: {}, maxAttempts: 3, runAt: clock.now() }])
  for (const attempt of [1, 2]) {
    const row = await waitFor(async () => {
      const found = await q.job(id!)
      return found?.attempts === attempt && found.locked_by === null ? found : undefined
    })
    assert.equal(row.run_at.getTime(), clock.now().getTime() + backoffMs(attempt, 0.5))
    assert.match(row.last_error ?? '', /carrier said no/)
    assert.equal(row.dead_at, null)
    clock.advance(backoffMs(attempt, 0.5))
  }
  const dead = await waitFor(async () => {
    const found = await q.job(id!)
    return found?.dead_at ? found : undefined
  })
  assert.deepEqual([dead.attempts, dead.dead_at?.getTime(), dead.locked_by], [3, clock.now().getTime(), null])

  clock.advance(24 * 3600_000)
  await q.add([{ kind: 'test.noop', payload: {}, runAt: clock.now() }])
  await waitFor(() => outcomes.includes('test.noop completed'))
  assert.equal(calls, 3, 'a dead job is not claimed again')
  assert.deepEqual(outcomes, [
    'test.fail failed',
    'test.fail failed',
    'test.fail dead',
    'test.noop completed',
  ])
  assert.equal(await q.count('job_runs'), 0, 'a failed attempt commits none of its writes')
  assert.equal(await q.count('jobs'), 1)
})

test('a job of a kind no handler knows fails until it is dead, and is kept', async (t) => {
  const q = await openQueueTest(t)
  const clock = new ManualClock()
  q.start({ clock, random: () => 0, handlers: { 'test.noop': async () => {} } })
  // toString is inherited by every object: it must not pass for a handler.
  const [unknown, inherited] = await q.add([
    { kind: 'test.renamed', payload: {}, maxAttempts: 2, runAt: clock.now() },
    { kind: 'toString', payload: {}, maxAttempts: 1, runAt: clock.now() },
  ])
  for (const [id, kind] of [
    [unknown!, 'test.renamed'],
    [inherited!, 'toString'],
  ] as const) {
    const row = await waitFor(async () => {
      const found = await q.job(id)
      return found?.dead_at ? found : undefined
    })
    assert.match(row.last_error ?? '', new RegExp(`no handler for job kind '${kind}'`))
  }
})

test('a job whose worker vanished during its last attempt is dead once the lease expires, not run again', async (t) => {
  const q = await openQueueTest(t)
  const clock = new ManualClock()
  const [id] = await q.add([{ kind: 'test.record', payload: {}, maxAttempts: 1, runAt: clock.now() }])
  await claimJobs(q.db, { workerId: 'gone', now: clock.now(), leaseMs: 1000, limit: 1 })
  let calls = 0
  q.start({ clock, leaseMs: 1000, handlers: { 'test.record': async () => void calls++ } })
  clock.advance(1000)
  const row = await waitFor(async () => {
    const found = await q.job(id!)
    return found?.dead_at ? found : undefined
  })
  assert.match(row.last_error ?? '', /lease expired/)
  assert.equal(calls, 0)
})

test('an idle worker wakes on the NOTIFY of a commit, without waiting for its poll', async (t) => {
  const q = await openQueueTest(t)
  const ran: number[] = []
  q.start({
    pollIntervalMs: 600_000,
    listen: q.url,
    handlers: { 'test.record': async (job) => void ran.push(job.id) },
  })
  await waitFor(async () => {
    const listening = await sql`
      select 1 from pg_stat_activity
      where datname = current_database() and application_name = 'attune-worker' and query ilike 'listen%'
    `.execute(q.db)
    return listening.rows.length === 1
  })
  const [id] = await q.add([{ kind: 'test.record', payload: {} }])
  await waitFor(() => ran.includes(id!), { timeoutMs: 3000 })
})

test('jobs sharing a queue_key run in order, one at a time, across 3 workers; a failing head holds only its key', async (t) => {
  const q = await openQueueTest(t)
  const clock = new ManualClock()
  const finished: string[] = []
  const active = new Map<string, number>()
  let overlaps = 0
  const ordered = async (
    job: { payload: { key: string; seq: number } },
    { tx }: { tx: Transaction<Database> },
  ) => {
    const { key, seq } = job.payload
    active.set(key, (active.get(key) ?? 0) + 1)
    if (active.get(key)! > 1) overlaps++
    await sql`select pg_sleep(0.002)`.execute(tx)
    finished.push(`${key}${seq}`)
    active.set(key, active.get(key)! - 1)
  }
  const handlers = {
    'test.ordered': ordered,
    'test.fail': async () => {
      throw new Error('head fails')
    },
  }
  for (const workerId of ['w1', 'w2', 'w3']) q.start({ workerId, clock, random: () => 0.5, handlers })
  const runAt = clock.now()
  const step = (key: string, seq: number): NewJob => ({
    kind: 'test.ordered',
    payload: { key, seq },
    queueKey: key,
    runAt,
  })
  const fail = (key: string, maxAttempts: number): NewJob => ({
    kind: 'test.fail',
    payload: {},
    queueKey: key,
    runAt,
    maxAttempts,
  })
  const jobs = [fail('c', 5), fail('d', 1)]
  for (let seq = 0; seq < 20; seq++)
    jobs.push(step('a', seq), step('b', seq), ...(seq < 2 ? [step('c', seq), step('d', seq)] : []))
  const [cHead] = await q.add(jobs)

  const sequence = (key: string) => Array.from({ length: key === 'd' ? 2 : 20 }, (_, seq) => `${key}${seq}`)
  await waitFor(() => finished.length === 42, { timeoutMs: 15_000 })
  for (const key of ['a', 'b', 'd'])
    assert.deepEqual(
      finished.filter((run) => run[0] === key),
      sequence(key),
    )
  assert.equal(overlaps, 0)

  // The head of c backs off and the clock stands still, so it is never due again: c0 and c1 must stay queued.
  await waitFor(async () => (await q.job(cHead!))?.locked_by === null)
  await q.add([{ kind: 'test.ordered', payload: { key: 'z', seq: 0 }, runAt }])
  await waitFor(() => finished.includes('z0'))
  assert.deepEqual(
    finished.filter((run) => run[0] === 'c'),
    [],
  )
  await waitFor(async () => (await q.count('jobs')) === 4)
  const left = await q.db.selectFrom('jobs').select(['kind', 'queue_key', 'dead_at']).orderBy('id').execute()
  assert.deepEqual(
    left.map((row) => [row.kind, row.queue_key, row.dead_at !== null]),
    [
      ['test.fail', 'c', false],
      ['test.fail', 'd', true],
      ['test.ordered', 'c', false],
      ['test.ordered', 'c', false],
    ],
  )
})
