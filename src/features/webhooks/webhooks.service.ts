import type { Kysely, Transaction } from 'kysely'
import type { Config } from '../../config.ts'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import type { AuthenticatedKey } from '../api-keys/api-keys.queries.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import { EVENT_TYPES, firesOn, isEventType } from './event-types.ts'
import { generateWebhookSecret } from './sign.ts'
import { checkUrl, type UrlPolicy } from './url-safety.ts'
import type { CreateWebhook, UpdateWebhook } from './webhooks.schemas.ts'
import {
  disableWebhook,
  enableWebhook,
  findWebhook,
  insertWebhook,
  rotateSecret,
  updateWebhook,
  WEBHOOK_ID_TYPE,
  type WebhookOwner,
  type WebhookRow,
} from './webhooks.queries.ts'

/** How long a rotated-out secret keeps signing, unless the request says otherwise. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 86_400

/** The calling app: webhooks belong to the API key that made them, within its company. */
export function ownerOf(request: { apiKey: AuthenticatedKey }): WebhookOwner {
  return { companyId: request.apiKey.company.id, apiKeyId: request.apiKey.keyId }
}

/** The URL policy the operator configured. */
export function urlPolicy(config: Config): UrlPolicy {
  return { allowHttp: config.allowHttpWebhooks, allowPrivate: config.webhookAllowPrivate }
}

/** The numeric id of a webhook id in a path; 404 when it is not one. */
export function webhookIdOf(encoded: string): number {
  const id = decodeObjectId(WEBHOOK_ID_TYPE, encoded)
  if (id === undefined) throw unknownWebhook(encoded)
  return id
}

/** The 404 for a webhook the calling app does not have. */
export function unknownWebhook(encoded: string): AppError {
  return new AppError('unknown_webhook', `webhookId: this app has no webhook ${encoded}`, { field: 'webhookId' })
}

/** The calling app's webhook named in the path, or 404; `forUpdate` locks it for the transaction. */
export async function requireWebhook(db: Kysely<Database>, owner: WebhookOwner, encoded: string, forUpdate = false) {
  const row = await findWebhook(db, owner, webhookIdOf(encoded), forUpdate)
  if (!row) throw unknownWebhook(encoded)
  return row
}

/**
 * Checks event names: each must be a known, case-sensitive name (ATTENTIVE_API.md §4.1), and none may repeat,
 * alias included (sms.subscribed with phone.subscribed would send every subscribe twice).
 */
export function checkEvents(events: string[]): void {
  const seen = new Map<string, number>()
  events.forEach((name, index) => {
    const field = `events[${index}]`
    if (!isEventType(name)) {
      throw new AppError('unknown_event_type', `${field}: '${name}' is not an event type; expected one of ${EVENT_TYPES.join(', ')}`, {
        field,
      })
    }
    const target = firesOn(name)
    const earlier = seen.get(target)
    if (earlier !== undefined) {
      throw new AppError(
        'duplicate_event_type',
        `${field}: '${name}' repeats events[${earlier}] ('${events[earlier]}'), which fires on the same event; list each once`,
        { field },
      )
    }
    seen.set(target, index)
  })
}

/** Refuses a URL that is not https (unless allowed) or targets a private address (unless allowed). */
export async function checkWebhookUrl(url: string, policy: UrlPolicy): Promise<void> {
  const problem = await checkUrl(url, policy)
  if (problem) throw new AppError('invalid_webhook_url', `url: ${problem}`, { field: 'url' })
}

/**
 * Checks a create or update body before any transaction opens (the URL check may ask DNS), so bad input
 * stores nothing.
 */
export async function checkWebhookBody(body: UpdateWebhook, policy: UrlPolicy): Promise<void> {
  if (body.events !== undefined) checkEvents(body.events)
  if (body.url !== undefined) await checkWebhookUrl(body.url, policy)
}

/** Creates a webhook with a new signing secret; the secret is returned to be shown once. */
export async function createWebhook(tx: Transaction<Database>, owner: WebhookOwner, body: CreateWebhook, now: Date) {
  const secret = generateWebhookSecret()
  const row = await insertWebhook(tx, owner, { url: body.url, events: body.events, secret, now })
  return { row, secret }
}

/** Applies a partial update: url and events when given; `disabled` pauses or resumes (§2.10). */
export async function changeWebhook(
  tx: Transaction<Database>,
  owner: WebhookOwner,
  encodedId: string,
  body: UpdateWebhook,
  now: Date,
): Promise<WebhookRow> {
  const current = await requireWebhook(tx, owner, encodedId, true)
  if (body.disabled === true) await disableWebhook(tx, current.id, 'requested', now)
  if (body.disabled === false && current.disabled_at) await enableWebhook(tx, current.id, now)
  return updateWebhook(tx, current.id, { url: body.url, events: body.events, now })
}

/** Replaces the signing secret; the old one keeps signing for `overlapSeconds` (default 24 h). */
export async function rotateWebhookSecret(
  tx: Transaction<Database>,
  owner: WebhookOwner,
  encodedId: string,
  overlapSeconds: number,
  now: Date,
) {
  const current = await requireWebhook(tx, owner, encodedId, true)
  const secret = generateWebhookSecret()
  const overlapUntil = overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null
  const row = await rotateSecret(tx, current.id, secret, overlapUntil, now)
  return { row, secret }
}
