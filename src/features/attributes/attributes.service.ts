import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import { recordDomainEvents } from '../domain-events/domain-events.queries.ts'
import { subscriberOf } from '../subscriptions/consent-changes.ts'
import { resolveUser, type UserIdentifiers } from '../users/identity.service.ts'
import { ensureDefinitions, listAttributes, upsertAttributes } from './attributes.queries.ts'
import { canonicalValue, inferType, type AttributeInput } from './infer.ts'

/** A profile holds at most this many attribute names (ATTENTIVE_API.md §2.4, Attune's choice). */
export const MAX_ATTRIBUTES = 100
/** Longest attribute name [OA] and value (Attune's choice). */
export const MAX_NAME_LENGTH = 200
export const MAX_VALUE_LENGTH = 2048

/** The flat values of `properties`, or a 400 naming the first offending property; nulls are left out. */
export function flatProperties(
  properties: Record<string, unknown>,
  field = 'properties',
): Array<[string, AttributeInput]> {
  const entries: Array<[string, AttributeInput]> = []
  for (const [name, value] of Object.entries(properties)) {
    const at = `${field}.${name}`
    if (name.trim() === '' || name.length > MAX_NAME_LENGTH) {
      throw new AppError(
        'invalid_attribute',
        `${at}: an attribute name has 1 to ${MAX_NAME_LENGTH} characters`,
        { field: at },
      )
    }
    if (value === null) continue
    if (typeof value === 'object') {
      throw new AppError(
        'invalid_attribute',
        `${at}: ${Array.isArray(value) ? 'an array' : 'an object'} is not accepted; attribute values are flat: a string, number, boolean or date string such as "1986-11-16"`,
        { field: at },
      )
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new AppError('invalid_attribute', `${at}: must be a string, number or boolean`, { field: at })
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new AppError('invalid_attribute', `${at}: must be a finite number`, { field: at })
    }
    if (String(value).length > MAX_VALUE_LENGTH) {
      throw new AppError('invalid_attribute', `${at}: is longer than ${MAX_VALUE_LENGTH} characters`, {
        field: at,
      })
    }
    entries.push([name, value])
  }
  return entries
}

/**
 * Creates or updates custom attributes of the profile the identifiers name (creating the profile if needed).
 * The first value of a name fixes its type; each changed value records `custom_attribute.set`. A write that
 * would give the profile more than 100 names is refused whole, and the transaction rolls back.
 */
export async function setCustomAttributes(
  tx: Transaction<Database>,
  companyId: number,
  ids: UserIdentifiers,
  entries: Array<[string, AttributeInput]>,
  now: Date,
): Promise<void> {
  if (entries.length === 0) return
  if (entries.length > MAX_ATTRIBUTES) throw limitError(entries.length)
  const { userId } = await resolveUser(tx, companyId, ids, now)
  const existing = new Map((await listAttributes(tx, companyId, userId)).map((a) => [a.name, a.value]))
  const total = new Set([...existing.keys(), ...entries.map(([name]) => name)]).size
  if (total > MAX_ATTRIBUTES) throw limitError(total)
  const definitions = await ensureDefinitions(
    tx,
    companyId,
    entries.map(([name, value]) => ({ name, type: inferType(value) })),
    now,
  )
  const values = entries.map(([name, value]) => {
    const definition = definitions.get(name)
    if (!definition) throw new Error(`setCustomAttributes: no definition of ${name}`)
    return { name, id: definition.id, ...canonicalValue(value, definition.type) }
  })
  const changed = values.filter((v) => existing.get(v.name) !== v.value)
  if (changed.length === 0) return
  await upsertAttributes(tx, companyId, userId, changed, now)
  const subscriber = await subscriberOf(tx, companyId, userId)
  await recordDomainEvents(
    tx,
    changed.map((v) => ({
      companyId,
      userId,
      type: 'custom_attribute.set',
      occurredAt: now,
      payload: { subscriber, userProperty: { id: String(v.id), name: v.name, value: v.value } },
    })),
  )
}

function limitError(count: number): AppError {
  return new AppError(
    'attribute_limit_exceeded',
    `properties: the profile would hold ${count} custom attributes; at most ${MAX_ATTRIBUTES} names are kept per profile`,
    { field: 'properties' },
  )
}
