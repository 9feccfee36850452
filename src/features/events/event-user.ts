import { emailErrorMessage, normaliseEmail } from '../../compliance/email.ts'
import { normalisePhone, phoneErrorMessage } from '../../compliance/phone.ts'
import { AppError } from '../../http/errors.ts'
import type { UserIdentifiers } from '../users/identity.service.ts'
import type { EventUserBody } from './events.schemas.ts'

/** The person an event names: identifiers to resolve, and the webhook `subscriber` block built from them. */
export interface EventPerson {
  ids: UserIdentifiers
  subscriber: Record<string, unknown>
}

type IdValue = string | number | null | undefined

/** A string identifier as stored: numbers become their digits; null, "" and blanks count as absent (§1.7). */
function idText(value: IdValue): string | undefined {
  if (value === null || value === undefined) return undefined
  const text = typeof value === 'number' ? String(value) : value.trim()
  return text === '' ? undefined : text
}

/** `customIdentifiers` in any of its three tolerated shapes, as [{name, value}] without absent values. */
function customIdentifiersOf(
  raw: NonNullable<NonNullable<EventUserBody['externalIdentifiers']>['customIdentifiers']>,
  field: string,
): Array<{ name: string; value: string }> {
  const entries: Array<[name: string | undefined, value: IdValue, index: number]> = Array.isArray(raw)
    ? raw.map((entry, index) => [entry.name ?? entry.key, entry.value, index])
    : Object.entries(raw).map(([name, value], index) => [name, value, index])
  const found: Array<{ name: string; value: string }> = []
  for (const [name, value, index] of entries) {
    const text = idText(value)
    if (text === undefined) continue
    if (name === undefined || name.trim() === '') {
      throw new AppError('validation_failed', `${field}[${index}].name: is required; send {"name": "loyaltyId", "value": "1122"}`, {
        field: `${field}[${index}].name`,
      })
    }
    found.push({ name: name.trim(), value: text })
  }
  return found
}

// Strict E.164 as written: a plus, a country code and up to 15 digits in all.
const E164 = /^\+[1-9]\d{7,14}$/

/**
 * A phone that names the person of an event. What normalisePhone accepts, and also any strictly written E.164
 * number it finds unassigned: Attentive's own examples (+13115552368) and seed 003's (+15551234567) are such
 * numbers, and an event's phone is only an identifier; texting still needs a subscription, which checks fully.
 */
function eventPhone(text: string, field: string, defaultCountry: string | undefined): string {
  const phone = normalisePhone(text, defaultCountry)
  if (phone.ok) return phone.e164
  if (E164.test(text)) return text
  throw new AppError('invalid_phone', phoneErrorMessage(field, text, phone.reason), { field })
}

/**
 * Reads Attentive's EventUser (ATTENTIVE_API.md §1.7) into identifiers: the phone normalised to E.164 in the
 * company's country, the email trimmed and checked, external ids as strings in every tolerated shape. An
 * identifier that is null or "" counts as absent; with none left the request is a 400 (`user: {}` too).
 */
export function readEventUser(user: EventUserBody, field: string, defaultCountry: string | undefined): EventPerson {
  const ids: UserIdentifiers = {}
  const phoneText = idText(user.phone)
  if (phoneText !== undefined) ids.phone = eventPhone(phoneText, `${field}.phone`, defaultCountry)
  const emailText = idText(user.email)
  if (emailText !== undefined) {
    const email = normaliseEmail(emailText)
    if (!email.ok) {
      throw new AppError('invalid_email', emailErrorMessage(`${field}.email`, emailText, email.reason), { field: `${field}.email` })
    }
    ids.email = email.email
  }
  const external = user.externalIdentifiers
  ids.clientUserId = idText(external?.clientUserId)
  ids.shopifyId = idText(external?.shopifyId)
  ids.klaviyoId = idText(external?.klaviyoId)
  if (external?.customIdentifiers !== undefined) {
    ids.customIdentifiers = customIdentifiersOf(external.customIdentifiers, `${field}.externalIdentifiers.customIdentifiers`)
  }
  const hasAny =
    ids.phone ?? ids.email ?? ids.clientUserId ?? ids.shopifyId ?? ids.klaviyoId ?? ids.customIdentifiers?.[0]?.value
  if (hasAny === undefined) {
    throw new AppError(
      'missing_identifier',
      `${field}: names nobody; send user.phone (E.164), user.email or user.externalIdentifiers.clientUserId`,
      { field },
    )
  }
  return { ids, subscriber: subscriberOf(ids) }
}

/** The webhook `subscriber` block (ATTENTIVE_API.md §4.2): ids as lists, custom ids as {name: [values]}. */
function subscriberOf(ids: UserIdentifiers): Record<string, unknown> {
  const external: Record<string, unknown> = {}
  if (ids.clientUserId !== undefined) external.client_user_id = [ids.clientUserId]
  if (ids.shopifyId !== undefined) external.shopify_id = [ids.shopifyId]
  if (ids.klaviyoId !== undefined) external.klaviyo_id = [ids.klaviyoId]
  if (ids.customIdentifiers && ids.customIdentifiers.length > 0) {
    const custom: Record<string, string[]> = {}
    for (const { name, value } of ids.customIdentifiers) (custom[name] ??= []).push(value)
    external.custom_identifiers = custom
  }
  return {
    ...(ids.phone !== undefined ? { phone: ids.phone } : {}),
    ...(ids.email !== undefined ? { email: ids.email } : {}),
    ...(Object.keys(external).length > 0 ? { external_identifiers: external } : {}),
  }
}
