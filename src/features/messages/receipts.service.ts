import { sql, type Transaction } from 'kysely'
import type { CarrierReceipt } from '../../carriers/carrier.ts'
import type { Database } from '../../db/schema.ts'
import { recordDomainEvents, type NewDomainEvent } from '../domain-events/domain-events.queries.ts'
import type { MessageKind, MessageState } from './messages.schema.ts'
import { predecessorsOf } from './states.ts'

/** The fields of a message its domain events carry. */
export interface AnnouncedMessage {
  id: number
  company_id: number
  user_id: number | null
  kind: MessageKind
  name: string | null
  body: string
  channel: string
  to_address: string
}

/**
 * A message's domain event (`sms.sent`, `sms.delivered`, `sms.failed`, `sms.message_link_click`) with the fields
 * the webhook payload builder reads (features/webhooks/payload.ts: `message`, plus `receipt` or `link`). A message
 * to no known profile records its own subscriber block, the number it went to.
 */
export function messageEvent(
  type: string,
  message: AnnouncedMessage,
  occurredAt: Date,
  extra: Record<string, unknown> = {},
): NewDomainEvent {
  return {
    companyId: message.company_id,
    type,
    userId: message.user_id,
    occurredAt,
    payload: {
      message: {
        id: message.id,
        type: message.kind,
        name: message.name,
        text: message.body,
        channel: message.channel,
      },
      ...(message.user_id === null ? { subscriber: { phone: message.to_address } } : {}),
      ...extra,
    },
  }
}

/** A message the carrier accepted: its id and the carrier's id for it. */
export interface Accepted {
  id: number
  providerId: string
}

/**
 * Records hand-offs the carrier accepted: `sending` → `sent` with the provider id and `sms.sent`, all in the
 * caller's transaction (sent_at is the history entry; no row is written for it). A message no longer `sending` (a receipt or another dispatcher got there
 * first) is left alone and not announced twice.
 */
export async function markSent(
  tx: Transaction<Database>,
  accepted: readonly Accepted[],
  now: Date,
): Promise<number> {
  if (accepted.length === 0) return 0
  const result = await sql<AnnouncedMessage>`
    with r as (
      select * from unnest(${accepted.map((a) => a.id)}::bigint[], ${accepted.map((a) => a.providerId)}::text[])
        as r (id, provider_id)
    ),
    sent as (
      update messages m set state = 'sent', provider_id = r.provider_id, sent_at = ${now}, due_at = null,
        updated_at = ${now}
      from r where m.id = r.id and m.state = 'sending'
      returning m.id, m.company_id, m.user_id, m.kind, m.name, m.body, m.channel, m.to_address
    )
    select * from sent
  `.execute(tx)
  await recordDomainEvents(
    tx,
    result.rows.map((row) => messageEvent('sms.sent', row, now)),
  )
  return result.rows.length
}

/** Marks messages the carrier refused for good as `failed`, with history and `sms.failed`. */
export async function markFailed(
  tx: Transaction<Database>,
  failures: ReadonlyArray<{ id: number; error: string }>,
  now: Date,
): Promise<void> {
  if (failures.length === 0) return
  const result = await sql<AnnouncedMessage & { error: string }>`
    with r as (select * from unnest(${failures.map((f) => f.id)}::bigint[], ${failures.map((f) => f.error)}::text[]) as r (id, error)),
    failed as (
      update messages m set state = 'failed', suppressed_reason = null, due_at = null, updated_at = ${now}
      from r where m.id = r.id and m.state = any(${predecessorsOf('failed')}::text[])
      returning m.id, m.company_id, m.user_id, m.kind, m.name, m.body, m.channel, m.to_address, r.error
    ),
    history as (
      insert into message_events (message_id, company_id, state, at, detail)
      select id, company_id, 'failed', ${now}, jsonb_build_object('error', error) from failed
    )
    select * from failed
  `.execute(tx)
  await recordDomainEvents(
    tx,
    result.rows.map((row) =>
      messageEvent('sms.failed', row, now, { receipt: { status: 'failed', error: row.error } }),
    ),
  )
}

/** What applying a batch of receipts did. */
export interface ReceiptOutcome {
  /** Messages whose state moved. */
  applied: number
  /** Receipts for message ids Attune has no message for: logged by the caller and dropped. */
  unknownIds: number[]
}

type ChangedRow = AnnouncedMessage & {
  previous: MessageState
  status: 'delivered' | 'undelivered' | 'failed'
  provider_id: string
  at: Date
  error_code: string | null
}

/**
 * Applies delivery receipts in the caller's transaction. A receipt moves a message forward only: `sending`,
 * `sent` or `unknown` to its final state. Duplicated, reversed and late receipts of a message already final
 * change nothing and are not announced again; of several receipts for one message in a batch the earliest
 * stands. A receipt that overtakes the hand-off's own commit (`sending`) also records the provider id and
 * `sms.sent`. Each move writes its history row and `sms.delivered` or `sms.failed` (undelivered is a failure).
 */
export async function applyReceipts(
  tx: Transaction<Database>,
  receipts: readonly CarrierReceipt[],
  now: Date,
): Promise<ReceiptOutcome> {
  if (receipts.length === 0) return { applied: 0, unknownIds: [] }
  const result = await sql<ChangedRow>`
    with r as (
      select distinct on (id) * from unnest(${receipts.map((r) => r.messageId)}::bigint[],
        ${receipts.map((r) => r.status)}::text[], ${receipts.map((r) => r.providerId)}::text[],
        ${receipts.map((r) => r.at)}::timestamptz[], ${receipts.map((r) => r.errorCode ?? null)}::text[])
        as r (id, status, provider_id, at, error_code)
      order by id, at
    ),
    previous as (
      select m.id, m.state from messages m join r on r.id = m.id order by m.id for update of m
    ),
    changed as (
      update messages m set state = r.status, provider_id = coalesce(m.provider_id, r.provider_id),
        sent_at = coalesce(m.sent_at, r.at), due_at = null, updated_at = ${now}
      from r join previous p on p.id = r.id
      where m.id = r.id and p.state = any(${predecessorsOf('delivered')}::text[])
      returning m.id, m.company_id, m.user_id, m.kind, m.name, m.body, m.channel, m.to_address, m.provider_id,
        p.state as previous, r.status, r.at, r.error_code
    ),
    history as (
      insert into message_events (message_id, company_id, state, at, detail)
      select id, company_id, status, ${now}::timestamptz,
        jsonb_strip_nulls(jsonb_build_object('receivedAt', at, 'errorCode', error_code)) from changed
    )
    select * from changed
  `.execute(tx)
  const events: NewDomainEvent[] = []
  for (const row of result.rows) {
    if (row.previous === 'sending') events.push(messageEvent('sms.sent', row, now))
    const receipt = {
      status: row.status,
      providerId: row.provider_id,
      at: row.at.toISOString(),
      errorCode: row.error_code ?? undefined,
    }
    events.push(
      messageEvent(row.status === 'delivered' ? 'sms.delivered' : 'sms.failed', row, row.at, { receipt }),
    )
  }
  await recordDomainEvents(tx, events)
  const distinct = [...new Set(receipts.map((r) => r.messageId))]
  if (result.rows.length === distinct.length) return { applied: result.rows.length, unknownIds: [] }
  const known = await tx.selectFrom('messages').select('id').where('id', 'in', distinct).execute()
  const knownIds = new Set(known.map((row) => row.id))
  return { applied: result.rows.length, unknownIds: distinct.filter((id) => !knownIds.has(id)) }
}
