// What bench/events.bench.ts runs against: the real app in this process with its store handle (for the raw
// INSERT baselines and the reconciliation), the load child, and CPU and memory readings of node and PostgreSQL.
import { randomBytes, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { sql, type Kysely } from 'kysely'
import pino from 'pino'
import { buildApp } from '../src/app.ts'
import { systemClock } from '../src/clock.ts'
import { loadConfig } from '../src/config.ts'
import type { Database } from '../src/db/schema.ts'
import { createMetrics } from '../src/http/metrics.ts'
import { decodeObjectId } from '../src/http/object-id.ts'
import { openStore } from '../src/server.ts'
import { call } from './lib/attune.ts'
import type { BenchContext } from './lib/context.ts'
import { cpuTimeMs, descendants, pssKb, rssKb, spawnNode } from './lib/processes.ts'
import type { EventsLoadRequest, EventsLoadResult } from './events-load.ts'

/** Events per batch request, and rows per raw INSERT. */
export const BATCH_SIZE = 1000
/** People the events are spread over: enough that rollup rows are rarely shared by concurrent batches. */
export const PEOPLE = 2000

/** An Attune API in this process, with its store handle. */
export interface EventsApp {
  url: string
  apiKey: string
  companyId: number
  db: Kysely<Database>
  /** The PostgreSQL server's processes (postmaster and backends), found by its port. */
  postgresPids(): number[]
  close(): Promise<void>
}

/** Builds and listens as src/server.ts does (default pool, LOG_LEVEL=warn), with a company whose limits are raised. */
export async function startEventsApp(ctx: BenchContext, databaseUrl?: string): Promise<EventsApp> {
  const adminToken = randomBytes(24).toString('base64url')
  const dataDir = await ctx.tempDir(databaseUrl ? 'events-unused' : 'events-embedded')
  const config = loadConfig({
    HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ATTUNE_DATA_DIR: dataDir, ATTUNE_ADMIN_TOKEN: adminToken,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  })
  const log = pino({ level: config.logLevel })
  const store = await openStore(config, log)
  const app = await buildApp({ db: store.db, config, log, clock: systemClock, metrics: createMetrics(), connectListener: store.connectListener })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const admin = (method: string, path: string, body?: unknown) => call<unknown>(url, adminToken, method, `/admin/v1${path}`, body)
  const created = (await admin('POST', '/companies', { name: 'Events benchmark' })) as { company: { id: string }; apiKey: string }
  await admin('PATCH', `/companies/${created.company.id}`, { settings: { rateLimits: { default: 1_000_000 } } })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await app.close()
    await store.db.destroy()
    await store.embedded?.stop()
  }
  ctx.defer(close)
  const port = new URL(databaseUrl ?? store.embedded?.url ?? '').port
  return {
    url,
    apiKey: created.apiKey,
    companyId: decodeObjectId('Company', created.company.id) ?? 0,
    db: store.db,
    postgresPids: () => {
      const postmaster = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).find((pid) => cmdline(pid).includes(` -p ${port} `))
      return postmaster === undefined ? [] : [postmaster, ...descendants(postmaster)]
    },
    close,
  }
}

function cmdline(pid: number): string {
  try {
    return `${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')} `
  } catch {
    return ''
  }
}

/** One run of bench/events-load.ts; refuses a run with any refused or failed request. */
export async function runLoad(ctx: BenchContext, spec: EventsLoadRequest): Promise<EventsLoadResult> {
  const child = spawnNode('bench/events-load.ts', [], { EVENTS_BENCH_LOAD: JSON.stringify(spec) }, ['--import', 'tsx'])
  try {
    const [line] = await child.waitFor(/^\{.*\}$/m, (ctx.durationS * 6 + 180) * 1000)
    const result = JSON.parse(line) as EventsLoadResult
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${spec.url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
    return result
  } finally {
    await child.stop(5000)
  }
}

/** Load options without the count and run id, which each run sets. */
export type LoadSpec = Omit<EventsLoadRequest, 'amount' | 'runId'>

/** A measured run with the CPU the server's node process and its PostgreSQL spent on it, and peak memory. */
export interface Measured {
  warm: EventsLoadResult
  main: EventsLoadResult
  nodeCpuMs: number
  postgresCpuMs: number
  peakRssKb: number
  peakPssKb: number
  /** The node process alone. */
  peakNodeRssKb: number
}

/** A warm-up by count, then a run sized to last about ctx.durationS at the warm-up's rate, read as it goes. */
export async function peak(ctx: BenchContext, what: string, spec: LoadSpec, app?: EventsApp): Promise<Measured> {
  ctx.log(`load: ${what}`)
  const warm = await runLoad(ctx, { ...spec, runId: randomUUID(), amount: spec.connections * (spec.body === 'batch' ? 4 : 100) })
  const amount = Math.max(spec.connections * 4, Math.round(warm.requestsPerSec * ctx.durationS))
  const pg = () => (app ? app.postgresPids() : [])
  const pgCpu = () => pg().reduce((total, pid) => total + cpuTimeMs(pid), 0)
  let peakRssKb = 0
  let peakPssKb = 0
  let peakNodeRssKb = 0
  const sample = () => {
    const pids = pg()
    const node = rssKb(process.pid)
    peakNodeRssKb = Math.max(peakNodeRssKb, node)
    peakRssKb = Math.max(peakRssKb, node + pids.reduce((t, pid) => t + rssKb(pid), 0))
    peakPssKb = Math.max(peakPssKb, node + pids.reduce((t, pid) => t + pssKb(pid), 0))
  }
  const timer = app ? setInterval(sample, 250) : undefined
  const cpu = process.cpuUsage()
  const pgBefore = pgCpu()
  try {
    const main = await runLoad(ctx, { ...spec, runId: randomUUID(), amount })
    const used = process.cpuUsage(cpu)
    return { warm, main, nodeCpuMs: (used.user + used.system) / 1000, postgresCpuMs: pgCpu() - pgBefore, peakRssKb, peakPssKb, peakNodeRssKb }
  } finally {
    if (timer) clearInterval(timer)
  }
}

/** A run paced at `rate` requests per second for about ctx.durationS, for its latency. */
export async function paced(ctx: BenchContext, what: string, spec: LoadSpec, rate: number): Promise<EventsLoadResult> {
  ctx.log(`load: ${what} at ${Math.round(rate)}/s`)
  return runLoad(ctx, { ...spec, runId: randomUUID(), overallRate: Math.max(1, Math.round(rate)), amount: Math.max(spec.connections, Math.round(rate * ctx.durationS)) })
}

/** Events the company has stored, and in how many transactions (distinct xmin): the reconciliation's count. */
export async function storedEvents(app: EventsApp): Promise<{ events: number; transactions: number }> {
  const result = await sql<{ events: number; transactions: number }>`
    select count(*)::int as events, count(distinct xmin::text)::int as transactions from events where company_id = ${app.companyId}`.execute(app.db)
  return result.rows[0] ?? { events: -1, transactions: -1 }
}

/**
 * Raw 1,000-row multi-row INSERTs of the rows the batch endpoint writes for the same events, from `connections`
 * loops for `seconds`: `events` inserts the event rows only, `all` also their domain events and the rollup upsert
 * in the same transaction (everything the endpoint writes, without the endpoint). Rows go to a company of their
 * own so the endpoint's reconciliation stays exact. Answers rows (events) per second.
 */
export async function rawInserts(app: EventsApp, what: 'events' | 'all', connections: number, seconds: number): Promise<number> {
  const users = await app.db.selectFrom('users').select('id').where('company_id', '=', app.companyId).limit(PEOPLE).execute()
  const owner = await app.db.insertInto('companies').values({ name: `Raw ${what}` }).returning('id').executeTakeFirstOrThrow()
  let n = 0
  const batch = () => {
    const now = new Date()
    return Array.from({ length: BATCH_SIZE }, () => {
      const i = n++
      const userId = users[i % users.length]?.id ?? 0
      return { userId, now, properties: { path: `/products/${i % 997}`, run: 'raw', n: i } }
    })
  }
  const write = async (rows: ReturnType<typeof batch>) => {
    const events = rows.map((r) => ({
      company_id: owner.id, user_id: r.userId, kind: 'custom' as const, type: 'Page Viewed', occurred_at: r.now, received_at: r.now,
      external_event_id: null, api_key_id: 1, properties: JSON.stringify(r.properties), value: null, currency: null, product_ids: null,
    }))
    if (what === 'events') return void (await app.db.insertInto('events').values(events).execute())
    await app.db.transaction().execute(async (tx) => {
      const ids = await tx.insertInto('events').values(events).returning('id').execute()
      await tx.insertInto('domain_events').values(rows.map((r, i) => ({
        company_id: owner.id, type: 'custom_event', user_id: r.userId, occurred_at: r.now, triggers: true,
        payload: JSON.stringify({ event_id: ids[i]?.id, event: { type: 'Page Viewed', properties: r.properties }, subscriber: {} }),
      }))).execute()
      const folded = [...new Map(rows.map((r) => [r.userId, r])).values()].sort((a, b) => a.userId - b.userId)
      await tx.insertInto('user_event_stats').values(folded.map((r) => ({
        company_id: owner.id, source_user_id: r.userId, user_id: r.userId, kind: 'custom' as const, type: 'Page Viewed', count: 1,
        first_occurred_at: r.now, last_occurred_at: r.now, last_value: null, last_currency: null,
      }))).onConflict((oc) => oc.columns(['company_id', 'source_user_id', 'kind', 'type']).doUpdateSet({
        count: sql`user_event_stats.count + 1`, last_occurred_at: sql`excluded.last_occurred_at`,
      })).execute()
    })
  }
  const loop = async (until: number) => {
    let rows = 0
    await Promise.all(Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        await write(batch())
        rows += BATCH_SIZE
      }
    }))
    return rows
  }
  await loop(Date.now() + 1000)
  const started = Date.now()
  const rows = await loop(started + seconds * 1000)
  return rows / ((Date.now() - started) / 1000)
}
