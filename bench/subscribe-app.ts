// What bench/subscribe.bench.ts runs against: the real app in this process with its store handle, the company's
// two sign-up sources, and what is read back from the store: the reconciliation, the rows written per subscribe and
// the statements one subscribe sends.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { sql, type Kysely } from 'kysely'
import pg from 'pg'
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
import { descendants } from './lib/processes.ts'

/** The sign-up sources, by the opt-in they stand for; both collect TEXT and EMAIL for MARKETING. */
export const SOURCES = { single: 'bench-single', double: 'bench-double' } as const
/** Which source a figure is about. */
export type OptIn = keyof typeof SOURCES

/** A marketing source must carry the disclosure the person saw (COMPLIANCE.md §1.2). */
const DISCLOSURE =
  'By signing up you agree to receive recurring automated marketing texts at the number given. Consent is not ' +
  'a condition of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel.'

/** An Attune API in this process, with its store handle for the reconciliation. */
export interface SubscribeApp {
  url: string
  apiKey: string
  companyId: number
  db: Kysely<Database>
  /** The PostgreSQL server's processes (postmaster and backends), found by its port. */
  postgresPids(): number[]
  close(): Promise<void>
}

/**
 * Builds and listens as src/server.ts does (the store opened and migrated, LOG_LEVEL=warn), creates a company
 * through the admin API, raises its `subscribe` limit there (the limiter still counts every request but refuses
 * none), and creates the two sign-up sources with the company's key.
 */
export async function startSubscribeApp(ctx: BenchContext, databaseUrl?: string): Promise<SubscribeApp> {
  const adminToken = randomBytes(24).toString('base64url')
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    ATTUNE_ADMIN_TOKEN: adminToken,
    ATTUNE_DATA_DIR: await ctx.tempDir(databaseUrl ? 'subscribe-unused' : 'subscribe-embedded'),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  })
  const log = pino({ level: config.logLevel })
  const store = await openStore(config, log)
  const app = await buildApp({
    db: store.db,
    config,
    log,
    clock: systemClock,
    metrics: createMetrics(),
    connectListener: store.connectListener,
  })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await app.close()
    await store.db.destroy()
    await store.embedded?.stop()
  }
  ctx.defer(close)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const admin = <T>(method: string, path: string, body: unknown) =>
    call<T>(url, adminToken, method, `/admin/v1${path}`, body)
  const created = await admin<{ company: { id: string }; apiKey: string }>('POST', '/companies', {
    name: 'Subscribe benchmark',
  })
  await admin('PATCH', `/companies/${created.company.id}`, {
    settings: { rateLimits: { subscribe: 1_000_000 } },
  })
  for (const [optIn, id] of Object.entries(SOURCES)) {
    await call(url, created.apiKey, 'POST', '/v1/sign-up-sources', {
      id,
      name: id,
      channels: ['TEXT', 'EMAIL'],
      type: 'MARKETING',
      doubleOptIn: optIn === 'double',
      disclosure: DISCLOSURE,
    })
  }
  const port = ` -p ${store.embedded?.port ?? new URL(databaseUrl ?? '').port} `
  return {
    url,
    apiKey: created.apiKey,
    companyId: decodeObjectId('Company', created.company.id) ?? 0,
    db: store.db,
    postgresPids: () => {
      const postmaster = readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .map(Number)
        .find((pid) => cmdline(pid).includes(port))
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

/**
 * Every 202 must be in the store: per source, a TEXT and an EMAIL consent (SUBSCRIBED; TEXT PENDING for double
 * opt-in), two ledger rows, and for double opt-in one queued opt-in prompt. Throws on any difference.
 */
export async function reconcile(name: string, app: SubscribeApp, accepted: Record<OptIn, number>) {
  const consents = await sql<{ key: string; n: number }>`
    select sign_up_source_id || ' ' || channel || ' ' || state as key, count(*)::int as n
    from consents where company_id = ${app.companyId} group by 1`.execute(app.db)
  const ledger = await sql<{ key: string; n: number }>`
    select sign_up_source_id || ' ledger' as key, count(*)::int as n
    from consent_ledger where company_id = ${app.companyId} group by 1`.execute(app.db)
  const jobs = await sql<{ key: string; n: number }>`
    select kind as key, count(*)::int as n from jobs
    where company_id = ${app.companyId} and kind = 'message.opt_in_request' group by 1`.execute(app.db)
  const found = Object.fromEntries([...consents.rows, ...ledger.rows, ...jobs.rows].map((r) => [r.key, r.n]))
  const { single, double } = accepted
  const expected: Record<string, number> = {
    [`${SOURCES.single} TEXT SUBSCRIBED`]: single,
    [`${SOURCES.single} EMAIL SUBSCRIBED`]: single,
    [`${SOURCES.single} ledger`]: 2 * single,
    [`${SOURCES.double} TEXT PENDING`]: double,
    [`${SOURCES.double} EMAIL SUBSCRIBED`]: double,
    [`${SOURCES.double} ledger`]: 2 * double,
    'message.opt_in_request': double,
  }
  const keys = new Set([...Object.keys(expected), ...Object.keys(found)])
  const wrong = [...keys].filter((key) => (found[key] ?? 0) !== (expected[key] ?? 0))
  if (wrong.length > 0) {
    const detail = wrong.map((k) => `${k}: ${expected[k] ?? 0} expected, ${found[k] ?? 0} stored`)
    throw new Error(`${name}: the 202 answers and the stored rows differ: ${detail.join('; ')}`)
  }
}

/** Rows per subscribe in each table holding the company's rows (those with at least 0.05), largest first. */
export async function rowsPerSubscribe(app: SubscribeApp, subscribes: number) {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.columns
    where table_schema = 'public' and column_name = 'company_id' order by 1`.execute(app.db)
  const counts: Array<[table: string, rows: number]> = []
  for (const { name } of tables.rows) {
    const result = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.table(name)} where company_id = ${app.companyId}`.execute(app.db)
    const rows = (result.rows[0]?.n ?? 0) / Math.max(1, subscribes)
    if (rows >= 0.05) counts.push([name, rows])
  }
  return counts.sort((a, b) => b[1] - a[1])
}

/**
 * Statements one subscribe sends to PostgreSQL (begin and commit included), counted at the pg client around a
 * single request after the measured runs, so the count never slows a measured one. Its person (+1 212 300 000x)
 * is outside the load's numbers; the caller counts its 202 with the others.
 */
export async function statementsOfOne(app: SubscribeApp, optIn: OptIn): Promise<number> {
  // A key is cached for 10 s (src/http/key-cache.ts): a request first makes sure the count holds no key lookup.
  await call(app.url, app.apiKey, 'GET', '/v1/me')
  const client = pg.Client.prototype as unknown as { query: (this: unknown, ...args: unknown[]) => unknown }
  const query = client.query
  let statements = 0
  client.query = function (this: unknown, ...args: unknown[]) {
    statements++
    return query.apply(this, args)
  }
  try {
    await call(app.url, app.apiKey, 'POST', '/v1/subscriptions', {
      user: {
        phone: `+121230000${optIn === 'single' ? '01' : '02'}`,
        email: `statements-${optIn}@example.com`,
      },
      signUpSourceId: SOURCES[optIn],
    })
    return statements
  } finally {
    client.query = query
  }
}
