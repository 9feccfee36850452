import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql, type Kysely } from 'kysely'
import { createClient } from '../db/connect.ts'
import type { Database } from '../db/schema.ts'
import { createTestDatabase } from '../../test/helpers/test-db.ts'
import { waitFor } from '../../test/helpers/wait-for.ts'
import { claimJobs, claimJobsQuery, failJob, queueDepth, releaseJobs } from './claim.ts'
import { enqueue, enqueueMany, JOBS_CHANNEL, type NewJob } from './enqueue.ts'
import { backoffMs } from './runner.ts'

const T0 = new Date('2026-03-01T12:00:00Z')
const at = (ms: number) => new Date(T0.getTime() + ms)

const backoffCases: Array<[attempt: number, random: number, delayMs: number]> = [
  [1, 0, 0],
  [1, 0.5, 500],
  [1, 0.9999, 999],
  [2, 0.5, 1000],
  [3, 0.5, 2000],
  [10, 0.5, 256_000],
  [12, 0.999, 2_045_952],
  [13, 0.5, 1_800_000], // 2^12 s exceeds the 1 h cap
  [13, 0.999, 3_596_400],
  [1000, 0.5, 1_800_000], // no overflow for absurd attempt counts
]
for (const [attempt, random, delayMs] of backoffCases) {
  test(`backoffMs(${attempt}, ${random}) is ${delayMs} ms`, () =>
    assert.equal(backoffMs(attempt, random), delayMs))
}

function add(db: Kysely<Database>, jobs: NewJob[]): Promise<number[]> {
  return db.transaction().execute((tx) => enqueueMany(tx, jobs))
}

function claim(db: Kysely<Database>, now: Date, limit = 100, workerId = 'w1') {
  return claimJobs(db, { workerId, now, leaseMs: 60_000, limit })
}

test('enqueue accepts only a Transaction, so it cannot run outside one', () => {
  const outsideTransaction = (db: Kysely<Database>) =>
    // @ts-expect-error: a Kysely handle is not a Transaction (tsc fails if enqueue ever accepts one)
    enqueue(db, { kind: 'test.x', payload: {} })
  assert.equal(typeof outsideTransaction, 'function')
})

test('enqueueMany inserts in the order given, with defaults, and notifies once per kind at commit only', async (t) => {
  const { url, db } = await createTestDatabase(t)
  const listener = createClient(url)
  const heard: string[] = []
  listener.on('notification', (message) => heard.push(message.payload ?? ''))
  await listener.connect()
  await listener.query(`listen ${JOBS_CHANNEL}`)
  const ids = await hearEnqueues(db, heard).finally(() => listener.end())
  const rows = await db.selectFrom('jobs').selectAll().orderBy('id').execute()
  assert.deepEqual(
    rows.map((row) => [
      row.id,
      row.kind,
      row.payload,
      row.queue_key,
      row.max_attempts,
      row.attempts,
      row.company_id,
    ]),
    [
      [ids[0], 'test.a', { n: 1 }, null, 10, 0, null],
      [ids[1], 'test.b', [1, 2], 'k', 3, 0, null],
      [ids[2], 'test.a', 'text', null, 10, 0, null],
    ],
  )
  assert.equal(rows[1]?.run_at.toISOString(), T0.toISOString())
})

/** Enqueues two kinds, rolls back a third, and waits until a sentinel notification shows what was heard. */
async function hearEnqueues(db: Kysely<Database>, heard: string[]): Promise<number[]> {
  const ids = await add(db, [
    { kind: 'test.a', payload: { n: 1 } },
    { kind: 'test.b', payload: [1, 2], queueKey: 'k', maxAttempts: 3, runAt: T0 },
    { kind: 'test.a', payload: 'text' },
  ])
  await db
    .transaction()
    .execute(async (tx) => {
      await enqueue(tx, { kind: 'test.rolled-back', payload: {} })
      throw new Error('roll back')
    })
    .catch(() => {})
  await sql`select pg_notify(${JOBS_CHANNEL}, 'sentinel')`.execute(db)
  await waitFor(() => heard.includes('sentinel'))
  assert.deepEqual([...heard].sort(), ['sentinel', 'test.a', 'test.b'])
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    ids,
  )
  return ids
}

test('a claim takes only due jobs at the injected now, and leases them until the lease runs out', async (t) => {
  const { db } = await createTestDatabase(t)
  const [soon, later] = await add(db, [
    { kind: 'test.a', payload: {}, runAt: at(1000) },
    { kind: 'test.a', payload: {}, runAt: at(5000) },
  ])
  assert.deepEqual(await claim(db, T0), [])
  const first = await claim(db, at(1000))
  assert.deepEqual(
    first.map((job) => [job.id, job.attempts]),
    [[soon, 1]],
  )
  const leased = await db
    .selectFrom('jobs')
    .select(['locked_by', 'locked_until'])
    .where('id', '=', soon!)
    .executeTakeFirstOrThrow()
  assert.deepEqual(leased, { locked_by: 'w1', locked_until: at(61_000) })

  assert.deepEqual(
    (await claim(db, at(60_999), 100, 'w2')).map((job) => job.id),
    [later],
  )
  const again = await claim(db, at(61_000), 100, 'w2')
  assert.deepEqual(
    again.map((job) => [job.id, job.attempts]),
    [[soon, 2]],
  )
})

test('a stale claim can neither fail nor release a job another worker has since claimed', async (t) => {
  const { db } = await createTestDatabase(t)
  await add(db, [{ kind: 'test.a', payload: {}, runAt: T0 }])
  const [stale] = await claim(db, T0, 1, 'w1')
  const [current] = await claim(db, at(60_000), 1, 'w1')
  assert.ok(stale && current)
  assert.equal(
    await failJob(db, stale, 'w1', { error: 'x', now: at(60_000), retryAt: at(61_000) }),
    undefined,
  )
  assert.equal(await releaseJobs(db, [stale], 'w1'), 0)
  assert.equal(await releaseJobs(db, [current], 'w2'), 0)
  assert.equal(await releaseJobs(db, [current], 'w1'), 1)
  const row = await db
    .selectFrom('jobs')
    .select(['attempts', 'locked_by', 'last_error'])
    .executeTakeFirstOrThrow()
  assert.deepEqual(row, { attempts: 1, locked_by: null, last_error: null })
})

test('only the oldest live job of a queue_key is claimable; a backing-off head holds its key, a dead one does not', async (t) => {
  const { db } = await createTestDatabase(t)
  const [k1, k2, k3, other] = await add(db, [
    { kind: 'test.a', payload: {}, queueKey: 'k', runAt: T0, maxAttempts: 2 },
    { kind: 'test.a', payload: {}, queueKey: 'k', runAt: T0 },
    { kind: 'test.a', payload: {}, queueKey: 'k', runAt: T0 },
    { kind: 'test.b', payload: {}, queueKey: 'other', runAt: T0 },
  ])
  const ids = async (now: Date) => (await claim(db, now)).map((job) => job.id)
  const [head] = await claim(db, T0, 1)
  assert.deepEqual(await ids(T0), [other], 'only the heads of k and other are claimable')
  assert.deepEqual(await ids(T0), [], 'the leased head holds k2 and k3 back')

  assert.ok(head)
  assert.equal(head.id, k1)
  await failJob(db, head, 'w1', { error: 'boom', now: T0, retryAt: at(10_000) })
  assert.deepEqual(await ids(at(9_999)), [], 'a head backing off still holds its key')
  const [retried] = await claim(db, at(10_000))
  assert.ok(retried)
  assert.deepEqual([retried.id, retried.attempts], [k1, 2])
  assert.equal(
    await failJob(db, retried, 'w1', { error: 'boom', now: at(10_000), retryAt: at(20_000) }),
    'dead',
  )
  assert.deepEqual(await ids(at(10_000)), [k2], 'a dead head lets the next job of its key go')
  assert.deepEqual(await ids(at(10_000)), [], 'k3 waits for k2')
  assert.ok(k3)
})

test('the claim reads the partial indexes jobs_due and jobs_queue_key', async (t) => {
  const { db } = await createTestDatabase(t)
  const jobs = Array.from({ length: 200 }, (_, i): NewJob => ({
    kind: 'test.a',
    payload: {},
    queueKey: `k${i % 20}`,
  }))
  await add(db, jobs)
  await sql`analyze jobs`.execute(db)
  const plan = await db.transaction().execute(async (tx) => {
    // The table is too small for the planner to prefer an index by cost; this shows the indexes' predicates
    // match the claim's WHERE clause, so the planner can use them once the table is large.
    await sql`set local enable_seqscan = off`.execute(tx)
    const query = claimJobsQuery({ workerId: 'w1', now: new Date(), leaseMs: 1000, limit: 10 })
    const result = await sql<{ 'QUERY PLAN': string }>`explain ${query}`.execute(tx)
    return result.rows.map((row) => row['QUERY PLAN']).join('\n')
  })
  assert.match(plan, /Index Scan using jobs_due on jobs j/)
  assert.match(plan, /Index Only Scan using jobs_queue_key on jobs k/)
})

test('queueDepth counts jobs by kind and state', async (t) => {
  const { db } = await createTestDatabase(t)
  await add(db, [
    { kind: 'test.a', payload: {}, runAt: T0 },
    { kind: 'test.a', payload: {}, runAt: T0 },
    { kind: 'test.a', payload: {}, runAt: at(1000) },
    { kind: 'test.b', payload: {}, runAt: at(-1000), maxAttempts: 1 },
    { kind: 'test.b', payload: {}, runAt: at(-500) },
  ])
  const [first, second] = await claim(db, T0, 2)
  assert.ok(first && second)
  await failJob(db, first, 'w1', { error: 'boom', now: T0, retryAt: at(1) })
  assert.deepEqual(await queueDepth(db, T0), [
    { kind: 'test.a', state: 'ready', count: 2 },
    { kind: 'test.a', state: 'scheduled', count: 1 },
    { kind: 'test.b', state: 'dead', count: 1 },
    { kind: 'test.b', state: 'running', count: 1 },
  ])
})
