// Whether to partition `events` by time: the same rows written to, and read from, the table as migration 0020
// makes it and a copy partitioned by month of occurred_at, in the same run (bench/events.bench.ts).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../src/db/schema.ts'
import type { BenchContext } from './lib/context.ts'
import type { Row, Section } from './lib/report.ts'

const ROWS = 300_000
const CHUNK = 1000
const COMPANIES = 10
const USERS = 20_000
const DAY = 86_400_000

/** A plain copy of `events` and a copy partitioned by month over the last 13 months, same indexes. */
async function createTables(db: Kysely<Database>): Promise<void> {
  await sql`drop table if exists layout_plain, layout_monthly`.execute(db)
  await sql`create table layout_plain (like events including all)`.execute(db)
  await sql`
    create table layout_monthly (like events including defaults including constraints including identity)
    partition by range (occurred_at)`.execute(db)
  await sql`alter table layout_monthly add primary key (id, occurred_at)`.execute(db)
  await sql`create index on layout_monthly (company_id, user_id, occurred_at desc, id desc)`.execute(db)
  await sql`create index on layout_monthly (company_id, kind, type, occurred_at) include (user_id)`.execute(db)
  const start = new Date()
  start.setUTCDate(1)
  start.setUTCHours(0, 0, 0, 0)
  for (let month = -13; month <= 1; month++) {
    const from = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + month, 1))
    const to = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + month + 1, 1))
    await sql`create table ${sql.table(`layout_monthly_${month + 13}`)} partition of layout_monthly
      for values from (${sql.lit(from.toISOString())}) to (${sql.lit(to.toISOString())})`.execute(db)
  }
}

/** Row i of the data set: the same for both tables; spread over the last 365 days, 20 types, 20,000 people. */
function rowOf(i: number, now: number) {
  const occurred = new Date(now - ((i * 7919) % 365) * DAY - (i % 86_400) * 1000)
  return {
    company_id: 1 + (i % COMPANIES),
    user_id: 1 + ((i * 31) % USERS),
    kind: 'custom' as const,
    type: `Type ${i % 20}`,
    occurred_at: occurred,
    received_at: occurred,
    properties: JSON.stringify({ n: i }),
  }
}

async function fill(db: Kysely<Database>, table: string, now: number, connections: number): Promise<number> {
  let next = 0
  const started = Date.now()
  const loop = async () => {
    while (next < ROWS) {
      const from = next
      next += CHUNK
      const rows = Array.from({ length: CHUNK }, (_, k) => rowOf(from + k, now))
      await db.insertInto(table as 'events').values(rows).execute()
    }
  }
  await Promise.all(Array.from({ length: connections }, loop))
  return ROWS / ((Date.now() - started) / 1000)
}

async function medianMs(db: Kysely<Database>, query: ReturnType<typeof sql>): Promise<number> {
  const times: number[] = []
  for (let run = 0; run < 7; run++) {
    const started = process.hrtime.bigint()
    await query.execute(db)
    times.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  return times.sort((a, b) => a - b)[3] ?? 0
}

/** Measures both layouts on `db` and returns the section that says which one migration 0020 uses and why. */
export async function measureLayouts(ctx: BenchContext, db: Kysely<Database>): Promise<Section> {
  ctx.log('storage layout: plain vs monthly partitions')
  await createTables(db)
  const now = Date.now()
  const insert = { plain: await fill(db, 'layout_plain', now, 4), monthly: await fill(db, 'layout_monthly', now, 4) }
  await sql`vacuum analyze layout_plain`.execute(db)
  await sql`vacuum analyze layout_monthly`.execute(db)
  const since = new Date(now - 30 * DAY)
  const window = (table: string) => sql`
    select user_id from ${sql.table(table)} where company_id = 3 and kind = 'custom' and type = 'Type 3' and occurred_at >= ${since}
    group by user_id having count(*) >= 2`
  const person = (table: string) => sql`
    select count(*) from ${sql.table(table)} where company_id = 3 and user_id = 93 and occurred_at >= ${since}`
  const query = {
    window: { plain: await medianMs(db, window('layout_plain')), monthly: await medianMs(db, window('layout_monthly')) },
    person: { plain: await medianMs(db, person('layout_plain')), monthly: await medianMs(db, person('layout_monthly')) },
  }
  const cutoff = new Date(now - 300 * DAY)
  const started = process.hrtime.bigint()
  await sql`delete from layout_plain where company_id = 3 and occurred_at < ${cutoff}`.execute(db)
  const deletePlain = Number(process.hrtime.bigint() - started) / 1e6
  const startedMonthly = process.hrtime.bigint()
  await sql`delete from layout_monthly where company_id = 3 and occurred_at < ${cutoff}`.execute(db)
  const deleteMonthly = Number(process.hrtime.bigint() - startedMonthly) / 1e6
  await sql`drop table layout_plain, layout_monthly`.execute(db)

  const fmt = (n: number, unit: string) => `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(n)} ${unit}`
  const row = (what: string, monthly: string, plain: string, ratio: string): Row => ({ what, figure: monthly, baseline: plain, ratio, target: '-', met: undefined })
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`
  return {
    title: 'Time partitioning of events: monthly partitions (figure) against one table (baseline)',
    intro:
      `${new Intl.NumberFormat('en-US').format(ROWS)} events of ${COMPANIES} companies and ${new Intl.NumberFormat('en-US').format(USERS)} people spread over 365 days, ` +
      `written in ${CHUNK}-row INSERTs from 4 connections into a copy of events as migration 0020 makes it and into ` +
      'a copy partitioned by month of occurred_at with the same indexes; then the segment questions (median of 7) and ' +
      "one company's retention delete, on the external server.",
    rows: [
      row('inserts', fmt(insert.monthly, 'rows/s'), fmt(insert.plain, 'rows/s'), ratio(insert.monthly, insert.plain)),
      row('people of a company who did X ≥ 2 times in 30 days', fmt(query.window.monthly, 'ms'), fmt(query.window.plain, 'ms'), ratio(query.window.monthly, query.window.plain)),
      row("one person's events of the last 30 days", fmt(query.person.monthly, 'ms'), fmt(query.person.plain, 'ms'), ratio(query.person.monthly, query.person.plain)),
      row("retention: one company's events older than 300 days", fmt(deleteMonthly, 'ms'), fmt(deletePlain, 'ms'), ratio(deleteMonthly, deletePlain)),
    ],
    notes: [
      `Decision: events stays one table (migration 0020). Partitions inserted at ${ratio(insert.monthly, insert.plain)} the ` +
        `rate of one table and answered the window questions in ${ratio(query.window.monthly, query.window.plain)} and ` +
        `${ratio(query.person.monthly, query.person.plain)} the time (one index per partition to probe); they win the retention delete, but ` +
        'retention is per company (eventRetentionDays), so whole partitions cannot be dropped, and the delete runs in ' +
        'chunks off the request path (features/events/maintenance.job.ts). A partitioned table would also need ' +
        'occurred_at in every unique key. Revisit when an installation keeps billions of events and retention is global.',
    ],
  }
}
