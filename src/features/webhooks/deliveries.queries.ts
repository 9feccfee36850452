import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { DeliveryStatus, WebhookDeliveriesTable } from './webhooks.schema.ts'

/** A delivery row. */
export type DeliveryRow = Selectable<WebhookDeliveriesTable>

/** A date column that may hold -infinity ("due at once"): null then. */
function finiteDate(value: Date | number | null): string | null {
  return value instanceof Date ? value.toISOString() : null
}

/** A delivery as the log shows it (Attune addition). `id` is the webhook-id header the receiver got. */
export function toApiDelivery(row: DeliveryRow) {
  return {
    id: row.message_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    latencyMs: row.last_latency_ms,
    occurredAt: row.occurred_at.toISOString(),
    firstAttemptAt: finiteDate(row.first_attempt_at),
    lastAttemptAt: finiteDate(row.last_attempt_at),
    // null while due at once (never scheduled) and once finished.
    nextAttemptAt: row.status === 'pending' ? finiteDate(row.next_attempt_at) : null,
    deliveredAt: finiteDate(row.delivered_at),
  }
}

/** Filters of the delivery log. */
export interface DeliveryFilter {
  status?: DeliveryStatus | undefined
  /** Only events that occurred at or after this. */
  since?: Date | undefined
  /** Only deliveries older than this one (the cursor). */
  beforeId?: number | undefined
  limit: number
}

/** A webhook's deliveries, newest first, through the webhook_deliveries_log index. */
export function listDeliveries(db: Kysely<Database>, companyId: number, webhookId: number, filter: DeliveryFilter) {
  let query = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('webhook_id', '=', webhookId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.since) query = query.where('occurred_at', '>=', filter.since)
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId)
  return query.orderBy('id', 'desc').limit(filter.limit).execute()
}

/** The attempts of a delivery, oldest first. */
export function listAttempts(db: Kysely<Database>, companyId: number, deliveryId: number) {
  return db
    .selectFrom('webhook_delivery_attempts')
    .select(['attempt', 'attempted_at', 'status_code', 'latency_ms', 'error', 'response_excerpt'])
    .where('company_id', '=', companyId)
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .limit(1000)
    .execute()
}

/** The delivery `messageId` of a webhook, if any. */
export function findDelivery(db: Kysely<Database>, companyId: number, webhookId: number, messageId: string) {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('webhook_id', '=', webhookId)
    .where('message_id', '=', messageId)
    .executeTakeFirst()
}

/**
 * Makes deliveries due again with a fresh 72 h window and the same id (receivers that deduplicate on
 * webhook-id skip what they already have). A delivery in flight is left to finish. `where` picks them.
 */
function requeue(tx: Transaction<Database>, companyId: number, webhookId: number, now: Date) {
  return tx
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: sql`'-infinity'`, window_started_at: null })
    .where('company_id', '=', companyId)
    .where('webhook_id', '=', webhookId)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
}

/** Replays one delivery; false when it is in flight (it is being sent already). */
export async function replayDelivery(tx: Transaction<Database>, row: DeliveryRow, now: Date): Promise<boolean> {
  const result = await requeue(tx, row.company_id, row.webhook_id, now).where('id', '=', row.id).executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Most deliveries one range replay requeues; a larger range is replayed in several calls. */
export const MAX_RANGE_REPLAY = 100_000

/**
 * Replays every finished delivery (succeeded, failed, cancelled) of events that occurred in [from, to), oldest
 * first, at most MAX_RANGE_REPLAY; pending ones are on their way already. Returns how many.
 */
export async function replayRange(
  tx: Transaction<Database>,
  companyId: number,
  webhookId: number,
  range: { from: Date; to: Date; now: Date },
): Promise<number> {
  const ids = tx
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('company_id', '=', companyId)
    .where('webhook_id', '=', webhookId)
    .where('status', '<>', 'pending')
    .where('occurred_at', '>=', range.from)
    .where('occurred_at', '<', range.to)
    .orderBy('id')
    .limit(MAX_RANGE_REPLAY)
  const result = await requeue(tx, companyId, webhookId, range.now).where('id', 'in', ids).executeTakeFirst()
  return Number(result.numUpdatedRows)
}
