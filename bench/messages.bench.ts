import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql, type Kysely } from 'kysely'
import { createDb, createPool } from '../src/db/connect.ts'
import { migrate } from '../src/db/migrate.ts'
import type { Database } from '../src/db/schema.ts'
import { queueMessages, type NewMessage } from '../src/features/messages/messages.service.ts'
import { enqueueMany } from '../src/queue/enqueue.ts'
import type { BenchContext } from './lib/context.ts'
import { cpuTimeMs, descendants, ROOT, sleep, spawnNode, type Child } from './lib/processes.ts'
import { percent, times, type Section } from './lib/report.ts'

/** One line under the heading in BENCHMARKS.md. */
export const description =
  'messages from queued to handed to the sandbox carrier with every rule on, beside the bare job queue'

/** 1,000,000 recipients in under 2 minutes (SPEC §5). */
const RATE_TARGET = 8_400
/** …and at least this share of the bare queue's claim-and-complete rate in the same run. */
const RATIO_TARGET = 0.25
const P99_TARGET_MS = 50
const LATENCY_RATE = 1_000
const WORKERS = 2
/** The machine's cores, which the workers and the server share. */
const CORES = os.cpus().length
/** Wednesday 12:00 in New York: every recipient (area code 770, Georgia) is inside its sending window. */
const NOON_EASTERN = '2026-03-04T17:00:00Z'
const DISPATCH_WORKER = path.join(ROOT, 'test/helpers/dispatch-worker-process.ts')
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const micro = (us: number) => us.toFixed(us < 10 ? 1 : 0)

function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

/** A migrated database of its own on the run's external server, with one company. */
async function openDatabase(ctx: BenchContext) {
  const url = await ctx.externalPostgresUrl()
  const pool = createPool(url, { max: 8 })
  await migrate(pool)
  const db = createDb(pool)
  ctx.defer(() => db.destroy())
  const company = await db
    .insertInto('companies')
    .values({ name: 'Acme' })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { url, db, companyId: company.id }
}

/**
 * `count` subscribers with a phone (+1 770 2xx xxxx) and a MARKETING text consent, written in bulk as a sign-up
 * would leave them; returns their ids and numbers in order.
 */
async function seedSubscribers(db: Kysely<Database>, companyId: number, count: number) {
  const result = await sql<{ id: number; phone: string }>`
    with made as (
      insert into users (company_id, created_at, updated_at)
      select ${companyId}, now(), now() from generate_series(1, ${count})
      returning id
    ),
    numbered as (select id, '+1770' || (2000000 + row_number() over (order by id))::text as phone from made),
    identifiers as (
      insert into user_identifiers (company_id, user_id, kind, name, value, value_key, created_at)
      select ${companyId}, id, 'phone', '', phone, phone, now() from numbered
    ),
    consents as (
      insert into consents (company_id, user_id, channel, type, state, address, created_at, changed_at)
      select ${companyId}, id, 'TEXT', 'MARKETING', 'SUBSCRIBED', phone, now(), now() from numbered
    )
    select id, phone from numbered order by id
  `.execute(db)
  await sql`analyze`.execute(db)
  return result.rows
}

/** Vacuums and analyses the seeded subscriber tables and analyses messages. */
async function vacuumSeeded(db: Kysely<Database>): Promise<void> {
  await sql`vacuum analyze users, user_identifiers, consents`.execute(db)
  await sql`analyze messages`.execute(db)
}

/** The clock every process of a run shares: NOON_EASTERN at wall-clock instant `wallAnchor`, at real speed. */
function anchoredNow(wallAnchor: number): Date {
  return new Date(new Date(NOON_EASTERN).getTime() + (Date.now() - wallAnchor))
}

function marketing(companyId: number, subscriber: { id: number; phone: string }): NewMessage {
  return {
    companyId,
    userId: subscriber.id,
    channel: 'TEXT',
    type: 'MARKETING',
    origin: 'campaign',
    to: subscriber.phone,
    body: 'Acme: spring sale, 20% off everything today. Reply STOP to opt out.',
  }
}

async function startDispatchers(
  ctx: BenchContext,
  url: string,
  wallAnchor: number,
  env: Record<string, string>,
): Promise<Child[]> {
  const workers = Array.from({ length: WORKERS }, () =>
    spawnNode(DISPATCH_WORKER, [url, NOON_EASTERN, String(wallAnchor)], env, ['--import', 'tsx']),
  )
  for (const worker of workers) ctx.defer(() => worker.stop())
  await Promise.all(workers.map((worker) => worker.waitFor(/ready/)))
  return workers
}

/** utime, stime, cutime and cstime of `pid` in ms (/proc/<pid>/stat; cutime/cstime: its exited children). */
function cpuWithChildrenMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10
}

/**
 * CPU meter over the benchmark's own processes: the worker processes, and the PostgreSQL server (its postmaster,
 * the backends that exited, and the live ones). Other work on the machine is not counted, so CPU per message
 * stays comparable when the machine is busy.
 */
async function cpuMeter(db: Kysely<Database>) {
  const backend = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid ?? 0
  const stat = readFileSync(`/proc/${backend}/stat`, 'utf8')
  const postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  const server = () =>
    cpuWithChildrenMs(postmaster) + descendants(postmaster).reduce((sum, pid) => sum + cpuTimeMs(pid), 0)
  const serverStart = server()
  let workers: Child[] = []
  let workersStart = 0
  return {
    /** Counts these workers from now on (once they have loaded their code: startup is not dispatch). */
    watch(started: Child[]) {
      workers = started
      workersStart = workers.reduce((sum, worker) => sum + cpuTimeMs(worker.pid), 0)
    },
    read() {
      const workersEnd = workers.reduce((sum, worker) => sum + cpuTimeMs(worker.pid), 0)
      return { workersMs: workersEnd - workersStart, serverMs: server() - serverStart }
    },
  }
}

/**
 * Waits until `query` (one boolean `left`) says nothing is left, polling every 10 ms. The queries read one index
 * entry at most: a count over the tables would itself cost the server CPU the measurement counts.
 */
async function waitUntilDone(
  db: Kysely<Database>,
  query: ReturnType<typeof sql<{ left: boolean }>>,
): Promise<void> {
  while ((await query.execute(db)).rows[0]?.left ?? true) await sleep(10)
}

/** Messages with dispatch work left (queued, held, or sending until recorded), by the partial index messages_due. */
const messagesLeft = sql<{
  left: boolean
}>`select exists (select 1 from messages where due_at is not null) as left`

/** CPU microseconds per item, in the workers and in the server, and the rate both cores would allow alone. */
function perItem(cpu: { workersMs: number; serverMs: number }, count: number) {
  const workers = (cpu.workersMs * 1000) / count
  const server = (cpu.serverMs * 1000) / count
  return { workers, server, ceiling: (CORES * 1_000_000) / (workers + server) }
}

/**
 * Throughput: `count` campaign messages committed at once, then two dispatcher processes take them from queued to
 * the sandbox; the rate is count / (last hand-off − commit).
 */
async function dispatchRate(ctx: BenchContext, count: number) {
  const { url, db, companyId } = await openDatabase(ctx)
  const subscribers = await seedSubscribers(db, companyId, count)
  const wallAnchor = Date.now()
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < subscribers.length; i += 20_000) {
      const batch = subscribers.slice(i, i + 20_000).map((s) => marketing(companyId, s))
      await queueMessages(tx, batch, anchoredNow(wallAnchor))
    }
  })
  // Vacuuming the seeded subscribers is not dispatch work: done before the dispatchers start. The messages table
  // is only analysed, so the vacuum its inserts and updates call for runs, and is counted, during the dispatch.
  await vacuumSeeded(db)
  const meter = await cpuMeter(db)
  const workers = await startDispatchers(ctx, url, wallAnchor, {
    ATTUNE_MESSAGE_BATCH_SIZE: process.env.BENCH_MESSAGE_BATCH ?? '1000',
    ATTUNE_MESSAGE_DISPATCHERS: process.env.BENCH_MESSAGE_LOOPS ?? '2',
    ATTUNE_SANDBOX_RECEIPT_DELAY_MS: '3600000',
  })
  meter.watch(workers)
  await waitUntilDone(db, messagesLeft)
  const cpu = meter.read()
  // From the first claim to the last hand-off, both on the clock the workers share.
  const span = await sql<{ first: Date; last: Date }>`
    select (select min(dispatched_at) from messages) as first, (select max(submitted_at) from sandbox_submissions) as last
  `.execute(db)
  const { first, last } = span.rows[0] as { first: Date; last: Date }
  const seconds = (last.getTime() - first.getTime()) / 1000
  const states = await sql<{ state: string; n: number }>`
    select state, count(*)::int as n from messages group by state
  `.execute(db)
  await Promise.all(workers.map((worker) => worker.stop()))
  return { rate: count / seconds, seconds, states: states.rows, cpu: perItem(cpu, count) }
}

/**
 * The bare queue: `count` jobs claimed and completed by two processes, each looping over the queue's own claim
 * statement (claimJobs, batches of 1,000) and one DELETE of the claimed ids. No handler and no per-job
 * transaction: the queue's floor cost per job, which message dispatch is compared with.
 */
async function queueRate(ctx: BenchContext, count: number) {
  const { url, db } = await openDatabase(ctx)
  const dir = await ctx.tempDir('queue-worker')
  const script = path.join(dir, 'queue-worker.mts')
  await fs.writeFile(
    script,
    [
      `import { createDb, createPool } from ${JSON.stringify(path.join(ROOT, 'src/db/connect.ts'))}`,
      `import { claimJobs } from ${JSON.stringify(path.join(ROOT, 'src/queue/claim.ts'))}`,
      'const db = createDb(createPool(process.argv[2], { max: 2 }))',
      "console.log('ready')",
      'let idle = 0',
      'while (idle < 500) {',
      '  const jobs = await claimJobs(db, { workerId: `bench-${process.pid}`, now: new Date(), leaseMs: 60_000, limit: 1000 })',
      '  if (jobs.length === 0) { idle += 1; await new Promise((resolve) => setTimeout(resolve, 10)); continue }',
      '  idle = 0',
      "  await db.deleteFrom('jobs').where('id', 'in', jobs.map((job) => job.id)).execute()",
      '}',
      'await db.destroy()',
    ].join('\n'),
  )
  const workers = Array.from({ length: WORKERS }, () => spawnNode(script, [url], {}, ['--import', 'tsx']))
  for (const worker of workers) ctx.defer(() => worker.stop())
  await Promise.all(workers.map((worker) => worker.waitFor(/ready/)))
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < count; i += 20_000) {
      await enqueueMany(
        tx,
        Array.from({ length: Math.min(20_000, count - i) }, () => ({ kind: 'bench.noop', payload: {} })),
      )
    }
  })
  const meter = await cpuMeter(db)
  meter.watch(workers)
  const started = performance.now()
  await waitUntilDone(db, sql<{ left: boolean }>`select exists (select 1 from jobs) as left`)
  const seconds = (performance.now() - started) / 1000
  const cpu = meter.read()
  await Promise.all(workers.map((worker) => worker.stop()))
  return { rate: count / seconds, seconds, cpu: perItem(cpu, count) }
}

/**
 * Latency: a producer queues messages at LATENCY_RATE per second (one transaction per 10 ms tick) for
 * `durationS`; each message's enqueue-to-hand-off time is the sandbox's submitted_at minus its created_at, on
 * clocks all processes share.
 */
async function handOffLatency(ctx: BenchContext, durationS: number) {
  const count = LATENCY_RATE * durationS
  const { url, db, companyId } = await openDatabase(ctx)
  const subscribers = await seedSubscribers(db, companyId, count)
  await vacuumSeeded(db)
  const wallAnchor = Date.now()
  const workers = await startDispatchers(ctx, url, wallAnchor, {
    ATTUNE_MESSAGE_DISPATCHERS: '2',
    ATTUNE_SANDBOX_RECEIPT_DELAY_MS: '3600000',
  })
  const perTick = LATENCY_RATE / 100
  const start = performance.now()
  for (let tick = 0; tick * perTick < count; tick++) {
    const due = start + tick * 10
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const now = anchoredNow(wallAnchor)
    const batch = subscribers.slice(tick * perTick, (tick + 1) * perTick).map((s) => marketing(companyId, s))
    await db.transaction().execute((tx) => queueMessages(tx, batch, now))
  }
  await waitUntilDone(db, messagesLeft)
  const result = await sql<{ p50: number; p99: number; max: number }>`
    select percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.99) within group (order by ms) as p99,
      max(ms) as max
    from (select extract(epoch from s.submitted_at - m.created_at) * 1000 as ms
          from sandbox_submissions s join messages m on m.id = s.message_id) latencies
  `.execute(db)
  await Promise.all(workers.map((worker) => worker.stop()))
  const row = result.rows[0] ?? { p50: 0, p99: 0, max: 0 }
  return {
    p50: Number(row.p50),
    p99: Number(row.p99),
    max: Number(row.max),
    achievedRate: count / ((performance.now() - start) / 1000),
  }
}

/** Runs the three measurements and reports them. */
export async function run(ctx: BenchContext): Promise<Section[]> {
  const messages = numberFromEnv('BENCH_MESSAGES', 200_000)
  const jobs = numberFromEnv('BENCH_JOBS', 200_000)
  ctx.log(`bare queue: ${jobs} jobs`)
  const queue = await queueRate(ctx, jobs)
  ctx.log(`bare queue: ${int.format(queue.rate)} jobs/s; dispatch: ${messages} messages`)
  const dispatch = await dispatchRate(ctx, messages)
  ctx.log(`dispatch: ${int.format(dispatch.rate)} messages/s; latency at ${LATENCY_RATE}/s`)
  const latency = await handOffLatency(ctx, Math.max(5, ctx.durationS))
  const suppressed = dispatch.states.filter((s) => s.state !== 'sending' && s.state !== 'sent')
  return [
    {
      title: 'Dispatch throughput and hand-off latency, external PostgreSQL, 2 worker processes',
      intro:
        `Throughput: ${int.format(messages)} campaign messages to as many subscribers (MARKETING, consent on file, ` +
        'area code 770 at noon local time) committed in one transaction; then two dispatcher processes ' +
        '(test/helpers/dispatch-worker-process.ts; batches of ' +
        (process.env.BENCH_MESSAGE_BATCH ?? '1000') +
        ', ' +
        (process.env.BENCH_MESSAGE_LOOPS ?? '2') +
        ' loops each) claim them and check every rule for each: consent now, the suppression list, the country, ' +
        'quiet hours in the recipient zone, the frequency cap under a lock per company; each message moves to sending, ' +
        'is handed to the sandbox and recorded as sent with its sms.sent domain event. Figure: messages / seconds from ' +
        `the first claim to the last hand-off (dispatched_at and the sandbox's submitted_at, on the clock the workers share); ` +
        `the dispatchers start once the messages are committed and the seeded subscriber tables vacuumed. Baseline: ${int.format(jobs)} jobs of the generic queue claimed and completed by ` +
        'two processes looping over its claim statement (claimJobs, 1,000 a time) and one DELETE of the claimed ids, ' +
        'with no handler: the floor cost of the queue, same server, same run. Latency: a ' +
        `producer queues ${LATENCY_RATE} messages/s in 10 ms ticks; each message's time from its enqueue to its ` +
        'hand-off (sandbox submitted_at − created_at).',
      rows: [
        {
          what: 'messages queued → handed to the sandbox, every rule on',
          figure: `${int.format(dispatch.rate)} messages/s (${dispatch.seconds.toFixed(1)} s)`,
          baseline: `${int.format(queue.rate)} jobs/s (bare queue)`,
          ratio: percent(dispatch.rate, queue.rate),
          target: `≥ ${int.format(RATE_TARGET)}/s and ≥ ${RATIO_TARGET * 100} %`,
          met: dispatch.rate >= RATE_TARGET && dispatch.rate >= RATIO_TARGET * queue.rate,
        },
        {
          what: `enqueue → hand-off at ${LATENCY_RATE} messages/s`,
          figure: `p50 ${latency.p50.toFixed(1)} ms · p99 ${latency.p99.toFixed(1)} ms · max ${latency.max.toFixed(0)} ms`,
          baseline: '-',
          ratio: '-',
          target: `p99 ≤ ${P99_TARGET_MS} ms`,
          met: latency.p99 <= P99_TARGET_MS,
        },
        {
          what: 'CPU per message: worker processes + PostgreSQL',
          figure: `${micro(dispatch.cpu.workers)} + ${micro(dispatch.cpu.server)} µs`,
          baseline: `${micro(queue.cpu.workers)} + ${micro(queue.cpu.server)} µs per job`,
          ratio: times(dispatch.cpu.workers + dispatch.cpu.server, queue.cpu.workers + queue.cpu.server),
          target: '-',
          met: undefined,
        },
      ],
      notes: [
        `CPU is counted for the benchmark's own processes only (workers, and the PostgreSQL server with its backends), so ` +
          `it does not move with other load on the machine (load average ${os.loadavg()[0]?.toFixed(1)} at the end). With ` +
          `both cores to themselves, dispatch would be bound at ${int.format(dispatch.cpu.ceiling)} messages/s and the bare ` +
          `queue at ${int.format(queue.cpu.ceiling)} jobs/s (${CORES} cores × 1 s / CPU per item).`,
        `The producer reached ${int.format(latency.achievedRate)} messages/s.`,
        ...(suppressed.length > 0
          ? [`Not sent in the throughput run: ${suppressed.map((s) => `${s.n} ${s.state}`).join(', ')}.`]
          : []),
      ],
    },
  ]
}
