import Type from 'typebox'
import { emailErrorMessage, normaliseEmail } from '../../compliance/email.ts'
import { normalisePhone, phoneErrorMessage } from '../../compliance/phone.ts'
import { AppError } from '../../http/errors.ts'
import type { UserIdentifiers } from './identity.service.ts'

// Request-side identifier parsing shared by every Attentive-compatible route (ATTENTIVE_API.md §1.7). The
// schemas accept the variants real clients send; these functions turn them into UserIdentifiers or a 400 that
// names the field, before anything is stored.

const ID_LIMIT = 100

/** An external id: a string, or a number that is stored as a string ([OA]'s own example sends one). */
export const ExternalIdSchema = Type.Union(
  [Type.String({ maxLength: ID_LIMIT }), Type.Number(), Type.Null()],
  {
    description: 'a string of at most 100 characters',
  },
)
const CustomPair = Type.Object({
  name: Type.Optional(Type.String({ maxLength: ID_LIMIT })),
  key: Type.Optional(Type.String({ maxLength: ID_LIMIT })),
  value: ExternalIdSchema,
})
/** `customIdentifiers` as `[{name, value}]`, `[{key, value}]` or a `{name: value}` map. */
export const CustomIdentifiersSchema = Type.Union([
  Type.Array(CustomPair, { maxItems: 100 }),
  Type.Record(Type.String(), ExternalIdSchema, { maxProperties: 100 }),
])
/** `externalIdentifiers` of subscribe and EventUser. */
export const ExternalIdentifiersSchema = Type.Object({
  clientUserId: Type.Optional(ExternalIdSchema),
  shopifyId: Type.Optional(ExternalIdSchema),
  klaviyoId: Type.Optional(ExternalIdSchema),
  customIdentifiers: Type.Optional(CustomIdentifiersSchema),
})

type ExternalInput = {
  clientUserId?: string | number | null | undefined
  shopifyId?: string | number | null | undefined
  klaviyoId?: string | number | null | undefined
  customIdentifiers?:
    | Array<{ name?: string | undefined; key?: string | undefined; value: string | number | null }>
    | Record<string, string | number | null>
    | undefined
}

/** A phone as sent in a query string, where an unencoded `+` arrives as a space (ATTENTIVE_API.md §1.7). */
export function restorePlus(phone: string): string {
  return /^ \d/.test(phone) ? `+${phone.slice(1)}` : phone
}

/** A present identifier: null and "" count as absent. */
function present(value: string | number | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined
  const text = String(value).trim()
  return text === '' ? undefined : text
}

/** E.164 of `value`, or the catalogue's 400 naming `field`; undefined when absent. */
export function phoneField(
  value: string | null | undefined,
  field: string,
  country = 'US',
): string | undefined {
  const text = present(value)
  if (text === undefined) return undefined
  const result = normalisePhone(text, country)
  if (!result.ok)
    throw new AppError('invalid_phone', phoneErrorMessage(field, text, result.reason), { field })
  return result.e164
}

/** The trimmed address of `value`, or the catalogue's 400 naming `field`; undefined when absent. */
export function emailField(
  value: string | null | undefined,
  field: string,
  maxLength = 254,
): string | undefined {
  const text = present(value)
  if (text === undefined) return undefined
  const result = normaliseEmail(text, maxLength)
  if (!result.ok)
    throw new AppError('invalid_email', emailErrorMessage(field, text, result.reason), { field })
  return result.email
}

function idField(value: string | number | null | undefined, field: string): string | undefined {
  const text = present(value)
  if (text !== undefined && text.length > ID_LIMIT) {
    throw new AppError('validation_failed', `${field}: is longer than ${ID_LIMIT} characters`, { field })
  }
  return text
}

/** The external identifiers of a request, validated; `field` is where they sit (e.g. `externalIdentifiers`). */
export function externalIdentifiers(input: ExternalInput | undefined, field: string): UserIdentifiers {
  if (!input) return {}
  const custom: Array<{ name: string; value: string }> = []
  const entries = Array.isArray(input.customIdentifiers)
    ? input.customIdentifiers.map(
        (pair, i) => [pair.name ?? pair.key, pair.value, `${field}.customIdentifiers[${i}]`] as const,
      )
    : Object.entries(input.customIdentifiers ?? {}).map(
        ([name, value]) => [name, value, `${field}.customIdentifiers.${name}`] as const,
      )
  for (const [name, value, at] of entries) {
    const text = idField(value, `${at}.value`)
    if (text === undefined) continue
    if (name === undefined || name.trim() === '') {
      throw new AppError(
        'validation_failed',
        `${at}.name: is required; send {"name": "loyaltyId", "value": "1122334455"}`,
        {
          field: `${at}.name`,
        },
      )
    }
    custom.push({ name: name.trim(), value: text })
  }
  const ids: UserIdentifiers = {
    clientUserId: idField(input.clientUserId, `${field}.clientUserId`),
    shopifyId: idField(input.shopifyId, `${field}.shopifyId`),
    klaviyoId: idField(input.klaviyoId, `${field}.klaviyoId`),
    ...(custom.length > 0 ? { customIdentifiers: custom } : {}),
  }
  return Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined))
}

/** Whether any identifier is present. */
export function hasIdentifier(ids: UserIdentifiers): boolean {
  return Object.values(ids).some((v) => v !== undefined && (!Array.isArray(v) || v.length > 0))
}

/** EventUser (`{phone?, email?, externalIdentifiers?}`, ATTENTIVE_API.md §1.7) as a schema. */
export const EventUserSchema = Type.Object(
  {
    phone: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
    externalIdentifiers: Type.Optional(ExternalIdentifiersSchema),
  },
  { minProperties: 1, description: 'a phone, an email or an external identifier' },
)

/** An EventUser as UserIdentifiers; a 400 naming the field when it holds no usable identifier or a bad one. */
export function parseEventUser(
  user: {
    phone?: string | null | undefined
    email?: string | null | undefined
    externalIdentifiers?: ExternalInput | undefined
  },
  field = 'user',
  country = 'US',
): UserIdentifiers {
  const ids: UserIdentifiers = {
    ...externalIdentifiers(user.externalIdentifiers, `${field}.externalIdentifiers`),
  }
  const phone = phoneField(user.phone, `${field}.phone`, country)
  const email = emailField(user.email, `${field}.email`)
  if (phone !== undefined) ids.phone = phone
  if (email !== undefined) ids.email = email
  if (!hasIdentifier(ids)) {
    throw new AppError(
      'missing_identifier',
      `${field}: needs a phone, an email or an external identifier, e.g. {"phone": "+17707651750"}`,
      { field },
    )
  }
  return ids
}
