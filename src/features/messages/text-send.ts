import type { FastifyRequest } from 'fastify'
import { sql, type Transaction } from 'kysely'
import Value from 'typebox/value'
import type { Database } from '../../db/schema.ts'
import type { Deps } from '../../deps.ts'
import { AppError, invalidField } from '../../http/errors.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { checkMediaUrl } from './media.ts'
import { TextSendSchema, type TextSend } from './messages.schemas.ts'
import { sendText, type SendContext, type SendRequest } from './send.service.ts'

/** The sending context of a key-authenticated request. */
export function sendContext(request: FastifyRequest, deps: Deps): SendContext {
  const { company, keyId } = request.apiKey
  return {
    companyId: company.id,
    companyName: company.name,
    settings: company.settings,
    keyId,
    now: deps.clock.now(),
    publicUrl: deps.config.publicUrl,
  }
}

/**
 * The checks of a /v1/text/send object that its schema cannot state (ATTENTIVE_API.md §2.11): exactly one of `to`
 * and `subscriberExternalId`; no braces in `body` (Attentive silently skips such a send; Attune says so);
 * `useShortLinks` needs a `messageName`. `prefix` names the item in a bulk request (`[3].`).
 */
export function textSendRequest(body: TextSend, prefix = ''): SendRequest {
  const hasTo = body.to !== undefined && body.to !== null
  const hasId = body.subscriberExternalId !== undefined && body.subscriberExternalId !== null
  if (hasTo === hasId) {
    throw invalidField(
      `${prefix}to`,
      hasTo
        ? 'send either to or subscriberExternalId, not both'
        : 'is required unless subscriberExternalId is sent; expected E.164 such as +17707651750',
    )
  }
  if (/[{}]/.test(body.body)) {
    throw new AppError(
      'invalid_body',
      `${prefix}body: must not contain { or } (Attentive skips such a message); remove them or write the text out`,
      { field: `${prefix}body` },
    )
  }
  if (body.useShortLinks === true && (body.messageName === undefined || body.messageName === null)) {
    throw invalidField(
      `${prefix}messageName`,
      'is required when useShortLinks is true; expected a name such as "Spring sale"',
    )
  }
  return {
    toField: `${prefix}${hasTo ? 'to' : 'subscriberExternalId'}`,
    to: body.to,
    subscriberExternalId: body.subscriberExternalId,
    type: body.subscriptionType,
    body: body.body,
    liquid: false,
    prefixCompanyName: false,
    mediaUrl: body.mediaUrl,
    skipFatigue: body.skipFatigue ?? true,
    name: body.messageName ?? null,
    shortLinks: body.useShortLinks ?? false,
    overrideAsked: body.forceSend === true || body.addSubscriber === true,
    addSubscriber: body.addSubscriber === true,
    unmatchedIs404: false,
  }
}

/** The answer of /v1/text/send: the request as normalised, plus the message id. */
export function toApiTextSend(body: TextSend, messageId: number, to: string) {
  return {
    messageId: encodeObjectId('Message', messageId),
    to,
    subscriptionType: body.subscriptionType,
    body: body.body,
    skipFatigue: body.skipFatigue ?? true,
    ...(body.mediaUrl !== undefined ? { mediaUrl: body.mediaUrl } : {}),
    ...(body.useShortLinks !== undefined ? { useShortLinks: body.useShortLinks } : {}),
    ...(body.messageName !== undefined ? { messageName: body.messageName } : {}),
    ...(body.forceSend !== undefined ? { forceSend: body.forceSend } : {}),
    ...(body.addSubscriber !== undefined ? { addSubscriber: body.addSubscriber } : {}),
  }
}

/** One failed item of a bulk send: the object as sent and why. */
interface BulkFailure {
  originalRequest: unknown
  reason: string
}

// The first schema error of a bulk item, named as the field it concerns ("[3].subscriptionType: is required").
function schemaReason(item: unknown, prefix: string): string {
  const first = Value.Errors(TextSendSchema, item)[0] as
    | { keyword: string; instancePath: string; message: string; params: { requiredProperties?: string[] } }
    | undefined
  if (!first) return `${prefix.slice(0, -1)}: is not a send object`
  const path = first.instancePath.split('/').filter(Boolean).join('.')
  if (first.keyword === 'required')
    return `${prefix}${first.params.requiredProperties?.[0] ?? path}: is required`
  return `${prefix}${path || 'body'}: ${first.message}`
}

/**
 * `POST /v1/text/send-bulk`: every item is checked and queued on its own, inside one transaction with a
 * savepoint per item, so a refused item leaves nothing behind and the others still go. Media is fetched before
 * the transaction opens.
 */
export async function sendBulk(deps: Deps, ctx: SendContext, items: unknown[]) {
  const checked: Array<{ index: number; item: unknown; request?: SendRequest; failure?: string }> = []
  for (const [index, item] of items.entries()) {
    const prefix = `[${index}].`
    if (!Value.Check(TextSendSchema, item)) {
      checked.push({ index, item, failure: schemaReason(item, prefix) })
      continue
    }
    try {
      const request = textSendRequest(item, prefix)
      if (request.mediaUrl)
        await checkMediaUrl(request.mediaUrl, `${prefix}mediaUrl`, {
          allowPrivate: deps.config.mediaAllowPrivate,
        })
      checked.push({ index, item, request })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      checked.push({ index, item, failure: error.message })
    }
  }
  const messages: Array<{ messageId: string; to: string }> = []
  const failures: BulkFailure[] = []
  await deps.db.transaction().execute(async (tx) => {
    for (const entry of checked) {
      if (!entry.request) {
        failures.push({ originalRequest: entry.item, reason: entry.failure ?? 'refused' })
        continue
      }
      const outcome = await inSavepoint(tx, () => sendText(tx, ctx, entry.request as SendRequest))
      if (outcome instanceof AppError) failures.push({ originalRequest: entry.item, reason: outcome.message })
      else if (!outcome.ok) failures.push({ originalRequest: entry.item, reason: outcome.error.message })
      else messages.push({ messageId: encodeObjectId('Message', outcome.messageId), to: outcome.to })
    }
  })
  return { messages, failures }
}

/** Runs `work` inside a savepoint: an AppError rolls back only what `work` wrote, and is returned. */
async function inSavepoint<T>(tx: Transaction<Database>, work: () => Promise<T>): Promise<T | AppError> {
  await sql`savepoint send_item`.execute(tx)
  try {
    const result = await work()
    await sql`release savepoint send_item`.execute(tx)
    return result
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    await sql`rollback to savepoint send_item`.execute(tx)
    return error
  }
}
