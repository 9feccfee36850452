import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import type { DisabledReason, NoticeKind, WebhooksTable } from './webhooks.schema.ts'

/** Attentive's object-id type name for webhooks (ATTENTIVE_API.md §1.7). */
export const WEBHOOK_ID_TYPE = 'CompanyApplicationWebhook'

/** The app a webhook belongs to: the calling API key within its company. */
export interface WebhookOwner {
  companyId: number
  apiKeyId: number
}

/** A webhook row. */
export type WebhookRow = Selectable<WebhooksTable>

/** `disabledAt` as Attune shows it: `YYYY-MM-DD hh:mm:ss` in UTC (ATTENTIVE_API.md §1.7). */
export function formatDisabledAt(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ')
}

/**
 * A webhook as Attentive's create and update answer it: an API-made webhook is `INSTALLED` (§2.10);
 * `disabledAt` is omitted while enabled.
 */
export function toApiWebhook(row: WebhookRow) {
  return {
    id: encodeObjectId(WEBHOOK_ID_TYPE, row.id),
    url: row.url,
    events: row.events,
    type: 'INSTALLED' as const,
    ...(row.disabled_at ? { disabledAt: formatDisabledAt(row.disabled_at) } : {}),
  }
}

/** A webhook as Attentive's list shows it: `SUBSCRIPTION`, with its company (§2.10). */
export function toApiListedWebhook(row: WebhookRow) {
  return {
    id: encodeObjectId(WEBHOOK_ID_TYPE, row.id),
    url: row.url,
    type: 'SUBSCRIPTION' as const,
    events: row.events,
    companyId: encodeObjectId('Company', row.company_id),
    ...(row.disabled_at ? { disabledAt: formatDisabledAt(row.disabled_at) } : {}),
  }
}

/** The app's webhooks, oldest first (§1.6: every one, no pagination). */
export function listWebhooks(db: Kysely<Database>, owner: WebhookOwner) {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('company_id', '=', owner.companyId)
    .where('api_key_id', '=', owner.apiKeyId)
    .orderBy('id')
    .execute()
}

/** The app's webhook `id`, if it has one; `forUpdate` locks it for the rest of the transaction. */
export function findWebhook(db: Kysely<Database>, owner: WebhookOwner, id: number, forUpdate = false) {
  const query = db
    .selectFrom('webhooks')
    .selectAll()
    .where('company_id', '=', owner.companyId)
    .where('api_key_id', '=', owner.apiKeyId)
    .where('id', '=', id)
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst()
}

/** Stores a new webhook. */
export function insertWebhook(
  tx: Transaction<Database>,
  owner: WebhookOwner,
  webhook: { url: string; events: string[]; secret: string; now: Date },
) {
  return tx
    .insertInto('webhooks')
    .values({
      company_id: owner.companyId,
      api_key_id: owner.apiKeyId,
      url: webhook.url,
      events: webhook.events,
      secret: webhook.secret,
      created_at: webhook.now,
      updated_at: webhook.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Changes url and/or events of a webhook. */
export function updateWebhook(
  tx: Transaction<Database>,
  id: number,
  change: { url?: string | undefined; events?: string[] | undefined; now: Date },
) {
  return tx
    .updateTable('webhooks')
    .set({
      ...(change.url !== undefined ? { url: change.url } : {}),
      ...(change.events !== undefined ? { events: change.events } : {}),
      updated_at: change.now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/**
 * Disables a webhook and cancels its pending deliveries: retries stop once a URL is disabled (§4.4). Returns
 * false when it was already disabled.
 */
export async function disableWebhook(tx: Transaction<Database>, id: number, reason: DisabledReason, now: Date) {
  const result = await tx
    .updateTable('webhooks')
    .set({ disabled_at: now, disabled_reason: reason, updated_at: now })
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .executeTakeFirst()
  if (result.numUpdatedRows === 0n) return false
  await cancelPendingDeliveries(tx, id)
  return true
}

/**
 * Re-enables a webhook, clearing its failure record. Deliveries still pending from before (made while it was
 * being disabled) are cancelled too: re-enabling does not replay the disabled period (§4.4).
 */
export async function enableWebhook(tx: Transaction<Database>, id: number, now: Date) {
  await tx
    .updateTable('webhooks')
    .set({ disabled_at: null, disabled_reason: null, failing_since: null, failing_notice_at: null, updated_at: now })
    .where('id', '=', id)
    .execute()
  await cancelPendingDeliveries(tx, id)
}

function cancelPendingDeliveries(tx: Transaction<Database>, webhookId: number) {
  return tx
    .updateTable('webhook_deliveries')
    .set({ status: 'cancelled', next_attempt_at: sql`'-infinity'`, locked_until: null })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .execute()
}

/** Replaces the secret; the old one keeps signing until `overlapUntil` (null: at once no longer). */
export function rotateSecret(tx: Transaction<Database>, id: number, secret: string, overlapUntil: Date | null, now: Date) {
  return tx
    .updateTable('webhooks')
    .set({
      previous_secret: overlapUntil ? sql<string>`secret` : null,
      previous_secret_expires_at: overlapUntil,
      secret,
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Deletes a webhook; its deliveries, attempts and notices go with it. False when there was none. */
export async function deleteWebhook(db: Kysely<Database>, owner: WebhookOwner, id: number): Promise<boolean> {
  const result = await db
    .deleteFrom('webhooks')
    .where('company_id', '=', owner.companyId)
    .where('api_key_id', '=', owner.apiKeyId)
    .where('id', '=', id)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Records something the app's contact must be told (the email itself is sent by the notifications feature). */
export function insertNotice(
  tx: Transaction<Database>,
  notice: { companyId: number; webhookId: number; kind: NoticeKind; message: string; now: Date },
) {
  return tx
    .insertInto('webhook_notices')
    .values({
      company_id: notice.companyId,
      webhook_id: notice.webhookId,
      kind: notice.kind,
      message: notice.message,
      created_at: notice.now,
    })
    .execute()
}

/** A webhook's notices, newest first. */
export function listNotices(db: Kysely<Database>, companyId: number, webhookId: number) {
  return db
    .selectFrom('webhook_notices')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('webhook_id', '=', webhookId)
    .orderBy('id', 'desc')
    .limit(100)
    .execute()
}
