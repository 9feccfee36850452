import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import type { EventsTable } from './events.schema.ts'
import type { PreparedEvent } from './events.service.ts'

/** Attentive-style object-id type name of events (ATTENTIVE_API.md §1.7). */
export const EVENT_ID_TYPE = 'Event'

/** How long an externalEventId stays claimed (ATTENTIVE_API.md §1.6). */
export const EXTERNAL_ID_WINDOW_DAYS = 30

/**
 * Claims the externalEventIds of `events` (one per (company, id), repeats removed by the caller) and returns the
 * keys `company\0id` it claimed. An id claimed more than 30 days ago is claimed again. A concurrent transaction
 * claiming the same id waits on the unique key until this one ends, then finds it taken: 50 simultaneous
 * repeats store one event. Sorted, so two batches claiming overlapping ids lock them in the same order.
 */
export async function claimExternalIds(tx: Transaction<Database>, events: PreparedEvent[]): Promise<Set<string>> {
  const sorted = [...events].sort((a, b) =>
    a.companyId - b.companyId || ((a.externalEventId ?? '') < (b.externalEventId ?? '') ? -1 : 1),
  )
  const result = await sql<{ companyId: number; externalEventId: string }>`
    insert into event_external_ids as x (company_id, external_event_id, claimed_at)
    select * from unnest(${sorted.map((e) => e.companyId)}::bigint[], ${sorted.map((e) => e.externalEventId)}::text[],
                         ${sorted.map((e) => e.receivedAt)}::timestamptz[])
    on conflict (company_id, external_event_id) do update set claimed_at = excluded.claimed_at
      where x.claimed_at < excluded.claimed_at - make_interval(days => ${EXTERNAL_ID_WINDOW_DAYS})
    returning company_id as "companyId", external_event_id as "externalEventId"
  `.execute(tx)
  return new Set(result.rows.map((row) => `${row.companyId}\u0000${row.externalEventId}`))
}

/**
 * Inserts the events in one statement and returns their ids in the order given. unnest() keeps it eleven
 * parameters whatever the batch size; identity values are drawn row by row in the order of the select, so the
 * ids, sorted, follow the input order. `along` are statements (the rollup upserts) run as data-modifying CTEs of
 * the same statement: each runs once and to completion, and the transaction saves a round trip per statement,
 * which both node and PostgreSQL pay per statement, not per row (BENCHMARKS.md "events").
 */
export async function insertEvents(
  tx: Transaction<Database>,
  events: PreparedEvent[],
  userIds: number[],
  along: Array<RawBuilder<unknown> | undefined> = [],
): Promise<number[]> {
  const ctes = along.filter((statement) => statement !== undefined).map((statement, index) => sql`${sql.raw(`along_${index}`)} as (${statement})`)
  const result = await sql<{ id: number }>`
    ${ctes.length > 0 ? sql`with ${sql.join(ctes)}` : sql``}
    insert into events (company_id, user_id, kind, type, occurred_at, received_at, external_event_id, api_key_id,
                        properties, value, currency, product_ids)
    select company_id, user_id, kind, type, occurred_at, received_at, external_event_id, api_key_id, properties,
           value, currency, case when product_ids is null then null else array(select jsonb_array_elements_text(product_ids)) end
    from unnest(${events.map((e) => e.companyId)}::bigint[], ${userIds}::bigint[], ${events.map((e) => e.kind)}::text[],
                ${events.map((e) => e.type)}::text[], ${events.map((e) => e.occurredAt)}::timestamptz[],
                ${events.map((e) => e.receivedAt)}::timestamptz[], ${events.map((e) => e.externalEventId ?? null)}::text[],
                ${events.map((e) => e.apiKeyId)}::bigint[], ${events.map((e) => JSON.stringify(e.properties))}::jsonb[],
                ${events.map((e) => e.value)}::numeric[], ${events.map((e) => e.currency)}::text[],
                ${events.map((e) => (e.productIds ? JSON.stringify(e.productIds) : null))}::jsonb[])
      with ordinality as w (company_id, user_id, kind, type, occurred_at, received_at, external_event_id, api_key_id,
                            properties, value, currency, product_ids, ord)
    order by ord
    returning id
  `.execute(tx)
  return result.rows.map((row) => row.id).sort((a, b) => a - b)
}

/** The live profile `userId` of the company stands for now (itself, or the profile it was merged into). */
export async function findLiveUser(db: Kysely<Database>, companyId: number, userId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'merged_into_id'])
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .executeTakeFirst()
  return row ? (row.merged_into_id ?? row.id) : undefined
}

/** Where a page of a person's events starts: after this (occurred_at, id), going back in time. */
export interface EventCursor {
  occurredAt: Date
  id: number
}

/** A page of one person's events, newest first (by occurred_at, then id), one more than `limit` to see if more exist. */
export function listUserEvents(
  db: Kysely<Database>,
  companyId: number,
  userId: number,
  filter: { type?: string | undefined; since?: Date | undefined; after?: EventCursor | undefined; limit: number },
) {
  let query = db
    .selectFrom('events')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
  if (filter.type !== undefined) query = query.where('type', '=', filter.type)
  if (filter.since !== undefined) query = query.where('occurred_at', '>=', filter.since)
  if (filter.after !== undefined) {
    const { occurredAt, id } = filter.after
    query = query.where(sql<boolean>`(occurred_at, id) < (${occurredAt}, ${id})`)
  }
  return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute()
}

/** An event as the read endpoint shows it. */
export function toApiEvent(row: Selectable<EventsTable>) {
  return {
    id: encodeObjectId(EVENT_ID_TYPE, row.id),
    kind: row.kind,
    type: row.type,
    occurredAt: row.occurred_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    externalEventId: row.external_event_id,
    properties: row.properties,
    value: row.value,
    currency: row.currency,
  }
}
