import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Kysely } from 'kysely'
import { systemClock } from '../clock.ts'
import type { Database } from '../db/schema.ts'
import { createTestDatabase } from '../../test/helpers/test-db.ts'
import { waitFor } from '../../test/helpers/wait-for.ts'
import { enqueueMany, type NewJob } from './enqueue.ts'
import { startWorker, type JobHandler, type Worker } from './runner.ts'

const silent = { info() {}, warn() {}, error() {} }
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WORKER_PROCESS = fileURLToPath(new URL('../../test/helpers/queue-worker-process.ts', import.meta.url))

/** A worker on the test's pool; stopped by the test itself, or at the end if the test failed first. */
function startOn(
  t: TestContext,
  db: Kysely<Database>,
  handlers: Record<string, JobHandler<never>>,
  leaseMs: number,
) {
  const worker = startWorker({ db, handlers, leaseMs, clock: systemClock, log: silent, pollIntervalMs: 20 })
  t.after(() => worker.stop())
  return worker
}

function add(db: Kysely<Database>, jobs: NewJob[]) {
  return db.transaction().execute((tx) => enqueueMany(tx, jobs))
}

function findJob(db: Kysely<Database>, id: number) {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
}

test('a job whose worker process was SIGKILLed mid-job runs again on another worker once its lease expires', async (t) => {
  const { url, db } = await createTestDatabase(t)
  const [id] = await add(db, [{ kind: 'test.block', payload: {} }])
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_PROCESS, url, 'doomed', '1000'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  await waitFor(() => stdout.includes(`running ${id}`), {
    timeoutMs: 20_000,
    description: 'the child runs the job',
  })
  const claimed = await findJob(db, id!)
  assert.equal(claimed?.locked_by, 'doomed')
  child.kill('SIGKILL')
  await exited

  const runs: Array<{ attempts: number; startedAt: Date }> = []
  const worker = startOn(
    t,
    db,
    { 'test.block': async (job, { now }) => void runs.push({ attempts: job.attempts, startedAt: now }) },
    1000,
  )
  await waitFor(() => runs.length > 0, { timeoutMs: 10_000 })
  const [run] = runs
  assert.ok(run && claimed?.locked_until)
  assert.equal(runs.length, 1)
  assert.equal(run.attempts, 2)
  assert.ok(run.startedAt >= claimed.locked_until, 'not before the dead worker’s lease ran out')
  await worker.stop()
  assert.equal(await findJob(db, id!), undefined)
})

test('stop() releases unfinished jobs so another worker takes them at once, without waiting for the lease', async (t) => {
  const { db } = await createTestDatabase(t)
  const started: number[] = []
  const stubborn = startWorker({
    db,
    clock: systemClock,
    log: silent,
    leaseMs: 600_000,
    pollIntervalMs: 20,
    shutdownGraceMs: 100,
    handlers: {
      // Runs until told to stop, as a long carrier call honouring its signal would.
      'test.slow': async (job, { signal }) => {
        started.push(job.id)
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))
      },
    },
  })
  t.after(() => stubborn.stop())
  const ids = await add(db, [
    { kind: 'test.slow', payload: {} },
    { kind: 'test.slow', payload: {} },
  ])
  await waitFor(() => started.length === 2)
  await stubborn.stop()
  const released = await db
    .selectFrom('jobs')
    .select(['attempts', 'locked_by', 'locked_until', 'last_error'])
    .execute()
  assert.deepEqual(released, [
    { attempts: 0, locked_by: null, locked_until: null, last_error: null },
    { attempts: 0, locked_by: null, locked_until: null, last_error: null },
  ])

  const reran: Array<[number, number]> = []
  startOn(t, db, { 'test.slow': async (job) => void reran.push([job.id, job.attempts]) }, 600_000)
  await waitFor(() => reran.length === 2)
  assert.deepEqual(
    reran.sort((a, b) => a[0] - b[0]),
    ids.map((id) => [id, 1]),
  )
})

test('stop() waits for a running job to finish within the grace period, and claims nothing more', async (t) => {
  const { db } = await createTestDatabase(t)
  let finish = () => {}
  const gate = new Promise<void>((resolve) => (finish = resolve))
  const started: number[] = []
  const ran: number[] = []
  const handlers: Record<string, JobHandler<never>> = {
    'test.gated': async (job) => {
      started.push(job.id)
      await gate
      ran.push(job.id)
    },
  }
  const worker: Worker = startOn(t, db, handlers, 600_000)
  const [first] = await add(db, [{ kind: 'test.gated', payload: {} }])
  await waitFor(() => started.includes(first!))
  const stopping = worker.stop()
  const [second] = await add(db, [{ kind: 'test.gated', payload: {} }])
  finish()
  await stopping
  assert.deepEqual(ran, [first])
  assert.equal(await findJob(db, first!), undefined)
  const waiting = await findJob(db, second!)
  assert.deepEqual([waiting?.attempts, waiting?.locked_by], [0, null])
})
