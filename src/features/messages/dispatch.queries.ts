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
}

/** SHA-256 of an address as the suppression list stores it (migration 0033). */
export function suppressionHash(address: string): Buffer {
  return createHash('sha256').update(address, 'utf8').digest()
}

/**
 * Claims up to `limit` due messages (queued, held past hold_until, or sending past its lease) and reads, in the
 * same statement, each one's current consent of its channel and type (through a merge to the live profile) and
 * whether its address is suppressed. SKIP LOCKED lets dispatchers share the table without waiting on each other,
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
                and s.address_hash = sha256(convert_to(m.to_address, 'UTF8'))) as deleted
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

/** Profile attributes that place a person: `timezone` (IANA) and `state` (US state code), by person. */
export async function loadPlacement(tx: Transaction<Database>, personIds: number[]) {
  const placement = new Map<number, { zone?: string; state?: string }>()
  if (personIds.length === 0) return placement
  const rows = await sql<{ user_id: number; name: string; value: string }>`
    select user_id, lower(name) as name, value from user_attributes
    where user_id = any(${personIds}::bigint[]) and lower(name) in ('timezone', 'state')
  `.execute(tx)
  for (const row of rows.rows) {
    const entry = placement.get(row.user_id) ?? {}
    if (row.name === 'timezone') entry.zone = row.value
    else entry.state = row.value
    placement.set(row.user_id, entry)
  }
  return placement
}

/**
 * Serialises frequency decisions per person until the transaction ends: two dispatchers holding messages for one
 * subscriber cannot both count "none sent yet" and both send. Advisory locks, sorted so that two dispatchers
 * locking overlapping sets cannot deadlock; they take no row locks on users (no write per person).
 */
export async function lockPeople(tx: Transaction<Database>, personIds: number[]): Promise<void> {
  if (personIds.length === 0) return
  await sql`
    select count(pg_advisory_xact_lock(h)) from (
      select distinct hashtextextended('frequency', p) as h from unnest(${personIds}::bigint[]) as p order by h
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
 */
export async function writeOutcomes(
  tx: Transaction<Database>,
  outcomes: readonly Outcome[],
  now: Date,
): Promise<void> {
  if (outcomes.length === 0) return
  await sql`
    with o as (
      select * from unnest(${outcomes.map((o) => o.id)}::bigint[], ${outcomes.map((o) => o.state)}::text[],
        ${outcomes.map((o) => o.reason ?? null)}::text[], ${outcomes.map((o) => o.holdUntil ?? null)}::timestamptz[],
        ${outcomes.map((o) => o.dueAt)}::timestamptz[], ${outcomes.map((o) => o.dispatchedAt ?? null)}::timestamptz[],
        ${outcomes.map((o) => o.from ?? null)}::text[], ${outcomes.map((o) => (o.detail ? JSON.stringify(o.detail) : null))}::jsonb[])
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
