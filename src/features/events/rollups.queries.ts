import { sql, type RawBuilder } from 'kysely'
import type { PreparedEvent } from './events.service.ts'

interface StatRow {
  companyId: number
  userId: number
  kind: string
  type: string
  count: number
  first: Date
  last: Date
  lastValue: string | null
  lastCurrency: string | null
}

/**
 * Folds a batch into one row per key: ON CONFLICT may touch a row once per statement, and fewer rows mean fewer
 * updates. Sorted by key, so concurrent batches lock shared rows in the same order and do not deadlock.
 */
function fold(rows: Array<StatRow & { key: string }>): StatRow[] {
  const byKey = new Map<string, StatRow>()
  for (const row of rows) {
    const seen = byKey.get(row.key)
    if (!seen) {
      byKey.set(row.key, { ...row })
      continue
    }
    seen.count += row.count
    if (row.first < seen.first) seen.first = row.first
    if (row.last >= seen.last) Object.assign(seen, { last: row.last, lastValue: row.lastValue, lastCurrency: row.lastCurrency })
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row)
}

/**
 * The upsert that keeps user_event_stats: count, first and last time per person and (kind, type), and the latest
 * purchase's total. Rows are keyed by the profile they were first written for (source_user_id). A statement for
 * insertEvents to run with the insert, in the same round trip.
 */
export function eventStatsUpsert(events: PreparedEvent[], userIds: number[]): RawBuilder<unknown> {
  const rows = fold(
    events.map((e, i) => {
      const userId = userIds[i] ?? 0
      return {
        key: `${e.companyId}\u0000${userId}\u0000${e.kind}\u0000${e.type}`,
        companyId: e.companyId,
        userId,
        kind: e.kind,
        type: e.type,
        count: 1,
        first: e.occurredAt,
        last: e.occurredAt,
        lastValue: e.value,
        lastCurrency: e.currency,
      }
    }),
  )
  return sql`
    insert into user_event_stats as s (company_id, source_user_id, user_id, kind, type, count, first_occurred_at,
                                      last_occurred_at, last_value, last_currency)
    select c, u, u, k, t, n, f, l, v, cu
    from unnest(${rows.map((r) => r.companyId)}::bigint[], ${rows.map((r) => r.userId)}::bigint[],
                ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.type)}::text[], ${rows.map((r) => r.count)}::bigint[],
                ${rows.map((r) => r.first)}::timestamptz[], ${rows.map((r) => r.last)}::timestamptz[],
                ${rows.map((r) => r.lastValue)}::numeric[], ${rows.map((r) => r.lastCurrency)}::text[])
      as w (c, u, k, t, n, f, l, v, cu)
    on conflict (company_id, source_user_id, kind, type) do update set
      count = s.count + excluded.count,
      first_occurred_at = least(s.first_occurred_at, excluded.first_occurred_at),
      last_value = case when excluded.last_occurred_at >= s.last_occurred_at then excluded.last_value else s.last_value end,
      last_currency = case when excluded.last_occurred_at >= s.last_occurred_at then excluded.last_currency else s.last_currency end,
      last_occurred_at = greatest(s.last_occurred_at, excluded.last_occurred_at)
  `
}

/** The upsert that keeps user_product_stats for eCommerce events (per person, kind, product); none without products. */
export function productStatsUpsert(events: PreparedEvent[], userIds: number[]): RawBuilder<unknown> | undefined {
  const rows = fold(
    events.flatMap((e, i) =>
      (e.productIds ?? []).map((productId) => {
        const userId = userIds[i] ?? 0
        return {
          key: `${e.companyId}\u0000${userId}\u0000${e.kind}\u0000${productId}`,
          companyId: e.companyId,
          userId,
          kind: e.kind,
          type: productId,
          count: 1,
          first: e.occurredAt,
          last: e.occurredAt,
          lastValue: null,
          lastCurrency: null,
        }
      }),
    ),
  )
  if (rows.length === 0) return undefined
  return sql`
    insert into user_product_stats as s (company_id, source_user_id, user_id, kind, product_id, count, last_occurred_at)
    select c, u, u, k, p, n, l
    from unnest(${rows.map((r) => r.companyId)}::bigint[], ${rows.map((r) => r.userId)}::bigint[],
                ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.type)}::text[], ${rows.map((r) => r.count)}::bigint[],
                ${rows.map((r) => r.last)}::timestamptz[])
      as w (c, u, k, p, n, l)
    on conflict (company_id, source_user_id, kind, product_id) do update set
      count = s.count + excluded.count,
      last_occurred_at = greatest(s.last_occurred_at, excluded.last_occurred_at)
  `
}
