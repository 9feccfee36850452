import { createHash } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { CompanySettings, Database } from '../../db/schema.ts'
import type { Channel, ConsentState, ConsentType } from '../subscriptions/consents.schema.ts'
import type { MessageKind, MessageState } from './messages.schema.ts'
import { FINAL_STATES } from './states.ts'

/** A claimed message with the facts the gate needs, read in the claim's statement. */
export interface ClaimedMessage {
  id: number
  company_id: number
  user_id: number | null
  /** The live profile behind user_id (followed through a merge), or null. */
  person_id: number | null
  channel: Channel
  type: ConsentType
  kind: MessageKind
  name: string | null
  compliance: boolean
  to_address: string
  body: string
  media_url: string | null
  segments: number
  state: MessageState
  skip_fatigue: boolean
  attempts: number
  consent_state: ConsentState | null
  consent_address: string | null
  deleted: boolean
  /** The profile's `timezone` attribute (IANA), which places the person for quiet hours, or null. */
  zone: string | null
  /** The profile's `state` attribute (a US state code), whose laws then apply too, or null. */
  region: string | null
}

/** SHA-256 of an address as the suppression list stores it (migration 0033). */
export function suppressionHash(address: string): Buffer {
  return createHash('sha256').update(address, 'utf8').digest()
}

/** Attribute names that give a profile's time zone and state (the first present wins). */
const ZONE_ATTRIBUTES = ['timezone', 'timeZone', 'time_zone']
const STATE_ATTRIBUTES = ['state', 'region']

/**
 * Claims up to `limit` due messages (queued, held past hold_until, or sending past its lease) and reads, in the
 * same statement, each one's current consent of its channel and type (through a merge to the live profile),
 * whether its address is suppressed, and the profile's zone and state attributes (one round trip: the claim is on
 * the path of every message's latency). SKIP LOCKED lets dispatchers share the table without waiting on each other,
 * as the job queue's claim does (docs/adr/0007-job-queue.md); the partial index messages_due keeps it an index
 * scan that reads only rows with work left. The rows stay locked until the caller's transaction ends.
 */
export async function claimDueMessages(
  tx: Transaction<Database>,
  now: Date,
  limit: number,
): Promise<ClaimedMessage[]> {
  const result = await sql<ClaimedMessage>`
    with claimed as (
      select id, company_id, user_id, channel, type, kind, name, compliance, to_address, body, media_url, segments,
        state, skip_fatigue, attempts, due_at
      from messages
      where due_at is not null and due_at <= ${now}
      order by due_at, id
      limit ${limit}
      for update skip locked
    )
    select m.id, m.company_id, m.user_id, coalesce(u.merged_into_id, u.id) as person_id, m.channel, m.type, m.kind,
      m.name, m.compliance, m.to_address, m.body, m.media_url, m.segments, m.state, m.skip_fatigue, m.attempts,
      c.state as consent_state, c.address as consent_address,
      exists (select 1 from suppressed_addresses s
              where s.company_id = m.company_id and s.channel = m.channel
                and s.address_hash = sha256(convert_to(m.to_address, 'UTF8'))) as deleted,
      (select a.value from user_attributes a where a.user_id = coalesce(u.merged_into_id, u.id)
         and a.name = any(${ZONE_ATTRIBUTES}::text[]) limit 1) as zone,
      (select a.value from user_attributes a where a.user_id = coalesce(u.merged_into_id, u.id)
         and a.name = any(${STATE_ATTRIBUTES}::text[]) limit 1) as region
    from claimed m
    left join users u on u.id = m.user_id
    left join consents c on c.user_id = coalesce(u.merged_into_id, u.id) and c.channel = m.channel and c.type = m.type
    order by m.due_at, m.id
  `.execute(tx)
  return result.rows
}

/** Name and settings of these companies. */
export async function loadCompanies(tx: Transaction<Database>, ids: number[]) {
  const rows = await tx
    .selectFrom('companies')
    .select(['id', 'name', 'settings'])
    .where('id', 'in', ids)
    .execute()
  return new Map<number, { name: string; settings: CompanySettings }>(rows.map((r) => [r.id, r]))
}

/**
 * Serialises frequency decisions per company until the transaction ends: two dispatchers holding messages for one
 * subscriber cannot both count "none sent yet" and both send. One advisory lock per company, not per person: a
 * lock per person would hold a batch's worth of entries in PostgreSQL's shared lock table (sized
 * max_locks_per_transaction × max_connections, 6,400 by default) for every dispatch transaction at once, and a few
 * worker processes would exhaust it. Only the count, the outcome write and the commit run under the lock; the
 * claim and the carrier call do not, so dispatchers still overlap (BENCHMARKS.md "messages"). Sorted, so two
 * transactions locking several companies cannot deadlock.
 */
export async function lockFrequency(tx: Transaction<Database>, companyIds: number[]): Promise<void> {
  if (companyIds.length === 0) return
  await sql`
    select count(pg_advisory_xact_lock(h)) from (
      select distinct hashtextextended('frequency', c) as h from unnest(${companyIds}::bigint[]) as c order by h
    ) as locks
  `.execute(tx)
}

/** Marketing dispatches (moved to `sending`) of these people since `since`, by person. */
export async function recentDispatches(tx: Transaction<Database>, personIds: number[], since: Date) {
  const sent = new Map<number, Date[]>()
  if (personIds.length === 0) return sent
  const result = await sql<{ user_id: number; dispatched_at: Date }>`
    select user_id, dispatched_at from messages
    where user_id = any(${personIds}::bigint[]) and dispatched_at > ${since} and type = 'MARKETING'
  `.execute(tx)
  for (const row of result.rows) sent.set(row.user_id, [...(sent.get(row.user_id) ?? []), row.dispatched_at])
  return sent
}

/** One decided state change of a claimed message. */
export interface Outcome {
  id: number
  state: Extract<MessageState, 'held' | 'sending' | 'suppressed' | 'failed'>
  reason?: string | null | undefined
  holdUntil?: Date | null | undefined
  /** When a dispatcher should look again (hold release, lease end); null when the message is done. */
  dueAt: Date | null
  /** Set for a move to sending: what the frequency cap counts. */
  dispatchedAt?: Date | null | undefined
  from?: string | null | undefined
  detail?: Record<string, unknown> | null | undefined
}

/**
 * Writes every outcome of a batch and its state-history row in one statement. Final messages are never changed
 * (the claim holds their locks, so this guards against a caller's mistake, not a race); `sending` counts a claim.
 * A plain move to `sending` writes no history row: dispatched_at is that entry (messages.queries.ts stateHistory),
 * which saves a row per message on the hot path; a recovered hand-off (with detail) is written.
 */
export async function writeOutcomes(
  tx: Transaction<Database>,
  outcomes: readonly Outcome[],
  now: Date,
): Promise<void> {
  const plain = outcomes.filter((o) => o.state === 'sending' && !o.detail)
  await dispatchPlain(tx, plain, now)
  const others = outcomes.filter((o) => !(o.state === 'sending' && !o.detail))
  if (others.length === 0) return
  await sql`
    with o as (
      select * from unnest(${others.map((o) => o.id)}::bigint[], ${others.map((o) => o.state)}::text[],
        ${others.map((o) => o.reason ?? null)}::text[], ${others.map((o) => o.holdUntil ?? null)}::timestamptz[],
        ${others.map((o) => o.dueAt)}::timestamptz[], ${others.map((o) => o.dispatchedAt ?? null)}::timestamptz[],
        ${others.map((o) => o.from ?? null)}::text[], ${others.map((o) => (o.detail ? JSON.stringify(o.detail) : null))}::jsonb[])
        as o (id, state, reason, hold_until, due_at, dispatched_at, from_address, detail)
    ),
    changed as (
      update messages m set state = o.state, suppressed_reason = o.reason, hold_until = o.hold_until,
        due_at = o.due_at, dispatched_at = coalesce(o.dispatched_at, m.dispatched_at),
        from_address = coalesce(o.from_address, m.from_address),
        attempts = m.attempts + (o.state = 'sending')::int, updated_at = ${now}
      from o
      where m.id = o.id and m.state <> all(${[...FINAL_STATES]}::text[])
      returning m.id, m.company_id, o.state, o.detail
    )
    insert into message_events (message_id, company_id, state, at, detail)
    select id, company_id, state, ${now}, detail from changed
  `.execute(tx)
}

// The common outcome of a campaign's batch, every message to `sending` with one lease end: ids and senders are
// the only per-row values, so the statement sends two arrays instead of eight (the hot path of every message).
async function dispatchPlain(
  tx: Transaction<Database>,
  outcomes: readonly Outcome[],
  now: Date,
): Promise<void> {
  const [first] = outcomes
  if (!first) return
  const sameLease = outcomes.every((o) => o.dueAt?.getTime() === first.dueAt?.getTime())
  if (!sameLease) throw new Error('writeOutcomes: a batch moves to sending with one lease end')
  await sql`
    update messages m set state = 'sending', suppressed_reason = null, hold_until = null, due_at = ${first.dueAt},
      dispatched_at = ${now}, from_address = o.from_address, attempts = m.attempts + 1, updated_at = ${now}
    from unnest(${outcomes.map((o) => o.id)}::bigint[], ${outcomes.map((o) => o.from ?? null)}::text[]) as o (id, from_address)
    where m.id = o.id and m.state <> all(${[...FINAL_STATES]}::text[])
  `.execute(tx)
}

/**
 * Messages the carrier did not take (a transient refusal or an error): they stay `sending` and are reconciled
 * at `dueAt` like any interrupted hand-off (lookup first, then the rules again), with the error in their history.
 */
export async function postponeSending(
  tx: Transaction<Database>,
  ids: readonly number[],
  dueAt: Date,
  error: string,
  now: Date,
): Promise<void> {
  if (ids.length === 0) return
  await sql`
    with postponed as (
      update messages set due_at = ${dueAt}, updated_at = ${now}
      where id = any(${[...ids]}::bigint[]) and state = 'sending'
      returning id, company_id
    )
    insert into message_events (message_id, company_id, state, at, detail)
    select id, company_id, 'sending', ${now}, jsonb_build_object('error', ${error}::text, 'retryAt', ${dueAt}::timestamptz)
    from postponed
  `.execute(tx)
}
