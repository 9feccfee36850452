import { createHash } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { countryAllowed, type CountryResult } from '../../compliance/countries.ts'
import { encodeSms } from '../../compliance/encoding.ts'
import { phoneErrorMessage } from '../../compliance/phone.ts'
import type { CompanySettings, Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import { everOptedOut } from '../subscriptions/consent.queries.ts'
import { currentConsent, isEligible, optIn } from '../subscriptions/consent.service.ts'
import type { ConsentType } from '../subscriptions/consents.schema.ts'
import { phoneField } from '../users/identifiers.ts'
import { followMerges } from '../users/identity.queries.ts'
import { findUserId, resolveUser } from '../users/identity.service.ts'
import { queueMessage, type NewMessage } from './messages.service.ts'
import { messagingSettings } from './settings.ts'
import { shortenLinks } from './short-links.ts'
import { templateScope } from './template-scope.ts'
import { hasLiquid, parseTemplate, renderTemplate } from './templates.ts'

/** Who is sending: the calling key's company, and now. */
export interface SendContext {
  companyId: number
  companyName: string
  settings: CompanySettings
  keyId: number
  now: Date
  /** ATTUNE_PUBLIC_URL, the base of short links. */
  publicUrl: string
}

/** One send request, as the three send APIs read their bodies. */
export interface SendRequest {
  /** The request field naming the recipient, for errors (`to`, `subscriberExternalId`, `[3].to`). */
  toField: string
  to?: string | null | undefined
  subscriberExternalId?: number | null | undefined
  type: ConsentType
  body: string
  /** The body is a Liquid template (the legacy sends); /v1/text/send refuses braces instead. */
  liquid: boolean
  /** Prepend the company name, as Attentive's legacy Messages API does (seed 002). */
  prefixCompanyName: boolean
  mediaUrl?: string | undefined
  skipFatigue: boolean
  name?: string | null | undefined
  shortLinks: boolean
  /** The request asked to override consent (forceSend, or addSubscriber sent as true). */
  overrideAsked: boolean
  /** addSubscriber: a TRANSACTIONAL send may create a transactional consent for a number that has none. */
  addSubscriber: boolean
  /** The legacy /v1/messages answers 404 for a number no profile has (seed 002). */
  unmatchedIs404: boolean
  /** The caller's messageId (POST /v1/messages): a retry with it returns the first message. */
  clientMessageId?: string | undefined
}

/** What a send did: the message queued (or found again for a retried messageId), or the refusal to answer. */
export type SendOutcome =
  | { ok: true; messageId: number; to: string; reused: boolean }
  | { ok: false; error: AppError; messageId: number }

function recipientError(
  field: string,
  phone: string,
  refusal: Exclude<CountryResult, { ok: true }>,
  countries: readonly string[],
) {
  if (refusal.reason === 'invalid_number') {
    return new AppError('invalid_phone', phoneErrorMessage(field, phone, 'is not a valid phone number'), {
      field,
    })
  }
  return new AppError(
    'country_not_enabled',
    `${field}: ${phone} is a number of ${refusal.country ?? 'no known country'}, which this company does not text; expected a number of ${countries.join(', ')} (company setting smsCountries)`,
    { field },
  )
}

/** The live profile `externalId` names and its newest phone, or a 400 naming the field. */
async function phoneOfSubscriber(
  tx: Transaction<Database>,
  companyId: number,
  externalId: number,
  field: string,
) {
  const user = await tx
    .selectFrom('users')
    .select('id')
    .where('company_id', '=', companyId)
    .where('id', '=', externalId)
    .executeTakeFirst()
  const live = user ? await followMerges(tx, companyId, user.id) : undefined
  const phone = live
    ? await tx
        .selectFrom('user_identifiers')
        .select('value')
        .where('company_id', '=', companyId)
        .where('user_id', '=', live)
        .where('kind', '=', 'phone')
        .orderBy('created_at', 'desc')
        .executeTakeFirst()
    : undefined
  if (live === undefined || !phone) {
    throw new AppError(
      'unknown_subscriber',
      `${field}: no subscriber ${externalId} with a phone number in this company; expected an external_id from a webhook payload, or send to`,
      { field },
    )
  }
  return { userId: live, phone: phone.value }
}

/** SHA-256 of what makes two sends with one messageId the same send. */
export function sendFingerprint(
  to: string,
  request: Pick<SendRequest, 'body' | 'type' | 'mediaUrl'>,
): string {
  return createHash('sha256')
    .update(JSON.stringify([to, request.body, request.type, request.mediaUrl ?? null]))
    .digest('hex')
}

/** Returns the message a retried messageId made, or throws when the id was used for a different send. */
async function findRetry(
  tx: Transaction<Database>,
  ctx: SendContext,
  clientMessageId: string,
  fingerprint: string,
) {
  // Serialises two requests with one messageId, so both cannot miss each other and queue twice.
  await sql`select pg_advisory_xact_lock(hashtextextended(${`message-id:${ctx.companyId}:${clientMessageId}`}, 0))`.execute(
    tx,
  )
  const found = await tx
    .selectFrom('messages')
    .select(['id', 'request_fingerprint'])
    .where('company_id', '=', ctx.companyId)
    .where('client_message_id', '=', clientMessageId)
    .executeTakeFirst()
  if (found && found.request_fingerprint !== fingerprint) {
    throw new AppError(
      'message_id_reused',
      `messageId: '${clientMessageId}' was already used for a different message; send the same to, body, type and mediaUrl to retry it, or use a new messageId`,
      { field: 'messageId' },
    )
  }
  return found?.id
}

function noConsent(field: string, phone: string, type: ConsentType): AppError {
  return new AppError(
    'no_consent',
    `${field}: ${phone} has not agreed to ${type.toLowerCase()} texts from this company (not subscribed, or opted out); expected a subscribed number. forceSend and addSubscriber never override an opt-out`,
    { field },
  )
}

/** The text as it leaves: Liquid rendered for the person, the company name prefixed where Attentive does it. */
async function finalBody(
  tx: Transaction<Database>,
  ctx: SendContext,
  request: SendRequest,
  userId: number | null,
  phone: string,
) {
  let body = request.body
  if (request.liquid && hasLiquid(body)) {
    parseTemplate(body, 'body')
    body = await renderTemplate(
      body,
      await templateScope(tx, { id: ctx.companyId, name: ctx.companyName }, userId, phone),
      'body',
    )
  }
  if (request.prefixCompanyName && !body.toLowerCase().startsWith(ctx.companyName.toLowerCase()))
    body = `${ctx.companyName}: ${body}`
  return body
}

/**
 * Validates and queues one API send in the caller's transaction: the recipient (E.164, a country the company
 * texts), a retried messageId, the person's consent of the send's type now, the body (Liquid, prefix, short links)
 * and its length in segments. Bad input throws a 400 before anything is written. A send without consent throws
 * `no_consent`, unless it asked to override (forceSend, addSubscriber): then the message is stored `suppressed`,
 * as the record that nothing overrides an opt-out, and the refusal is returned for the caller to answer after
 * commit. `addSubscriber` on a TRANSACTIONAL send to a number with no consent record at all (never opted out)
 * creates the transactional consent (ATTENTIVE_API.md §2.11).
 */
export async function sendText(
  tx: Transaction<Database>,
  ctx: SendContext,
  request: SendRequest,
): Promise<SendOutcome> {
  const settings = messagingSettings(ctx.settings)
  let userId: number | null = null
  let phone: string
  if (request.to !== undefined && request.to !== null) {
    phone = phoneField(request.to, request.toField, ctx.settings.defaultCountry) as string
  } else {
    ;({ userId, phone } = await phoneOfSubscriber(
      tx,
      ctx.companyId,
      request.subscriberExternalId as number,
      request.toField,
    ))
  }
  const country = countryAllowed(phone, settings.countries)
  if (!country.ok) throw recipientError(request.toField, phone, country, settings.countries)

  const fingerprint = request.clientMessageId ? sendFingerprint(phone, request) : undefined
  if (request.clientMessageId && fingerprint) {
    const retried = await findRetry(tx, ctx, request.clientMessageId, fingerprint)
    if (retried !== undefined) return { ok: true, messageId: retried, to: phone, reused: true }
  }
  userId ??= (await findUserId(tx, ctx.companyId, { phone })) ?? null
  if (userId === null && request.unmatchedIs404) {
    throw new AppError(
      'unmatched_phone',
      `${request.toField}: no subscriber has the number ${phone}; expected the number of an opted-in subscriber`,
      { field: request.toField },
    )
  }
  const consent =
    userId === null ? undefined : await currentConsent(tx, ctx.companyId, userId, 'TEXT', request.type)
  let eligible = isEligible(consent, phone, 'TEXT')
  if (
    !eligible &&
    request.addSubscriber &&
    request.type === 'TRANSACTIONAL' &&
    consent === undefined &&
    !(await everOptedOut(tx, ctx.companyId, 'TEXT', phone))
  ) {
    userId ??= (await resolveUser(tx, ctx.companyId, { phone }, ctx.now)).userId
    await optIn(tx, ctx.companyId, userId, {
      channel: 'TEXT',
      type: 'TRANSACTIONAL',
      address: phone,
      actor: { kind: 'api_key', id: String(ctx.keyId) },
      now: ctx.now,
    })
    eligible = true
  }
  if (!eligible && !request.overrideAsked) throw noConsent(request.toField, phone, request.type)

  let body = await finalBody(tx, ctx, request, userId, phone)
  const shortened = request.shortLinks ? shortenLinks(body, { baseUrl: ctx.publicUrl }) : undefined
  body = shortened?.body ?? body
  const { segments } = encodeSms(body)
  if (segments > settings.maxSegments) {
    throw new AppError(
      'body_too_long',
      `body: the text takes ${segments} segments as sent (${body.length} characters); this company allows at most ${settings.maxSegments} (company setting maxSegments)`,
      { field: 'body' },
    )
  }
  const message: NewMessage = {
    companyId: ctx.companyId,
    userId,
    channel: 'TEXT',
    type: request.type,
    origin: 'api',
    to: phone,
    body,
    mediaUrl: request.mediaUrl ?? null,
    skipFatigue: request.skipFatigue,
    name: request.name ?? null,
    clientMessageId: request.clientMessageId ?? null,
    requestFingerprint: fingerprint ?? null,
    links: shortened?.links,
    ...(eligible ? {} : { suppressedReason: 'no_consent' }),
  }
  const { id } = await queueMessage(tx, message, ctx.now)
  if (!eligible) return { ok: false, error: noConsent(request.toField, phone, request.type), messageId: id }
  return { ok: true, messageId: id, to: phone, reused: false }
}
