import { AppError } from '../../http/errors.ts'
import type { UserIdentifiers } from '../users/identity.service.ts'
import { readItems } from './ecommerce-items.ts'
import { readEventUser } from './event-user.ts'
import type { EventKind } from './events.schema.ts'
import type { CustomEventBody, EcommerceEventBody } from './events.schemas.ts'
import { OCCURRED_AT_FORM, parseOccurredAt, triggersJourneys } from './occurred-at.ts'

/** Who sent an event and when it arrived: the calling key, its company, the receiving clock. */
export interface EventSource {
  companyId: number
  apiKeyId: number
  /** The company's country for national phone numbers (default US). */
  defaultCountry: string | undefined
  now: Date
}

/** An event checked and normalised, ready to store: nothing about it can be refused any more. */
export interface PreparedEvent {
  companyId: number
  apiKeyId: number
  kind: EventKind
  /** The custom event's name, or the eCommerce kind. */
  type: string
  ids: UserIdentifiers
  /** The webhook `subscriber` block (ATTENTIVE_API.md §4.2). */
  subscriber: Record<string, unknown>
  occurredAt: Date
  receivedAt: Date
  /** False for an event more than 12 hours old: stored, counted, but no journey starts (§1.7). */
  triggers: boolean
  externalEventId: string | undefined
  properties: Record<string, unknown>
  /** Purchases: the order total as an exact decimal, and its currency. */
  value: string | null
  currency: string | null
  productIds: string[] | null
}

/** Serialised properties above this many bytes are refused (Attune's choice; Attentive keeps big payloads). */
export const PROPERTIES_MAX_BYTES = 64 * 1024
/** Nesting deeper than this is refused: keys are checked at every level, and templates read paths. */
const PROPERTIES_MAX_DEPTH = 16

// ATTENTIVE_API.md §2.3: characters an event type and a property key must not contain.
const TYPE_FORBIDDEN = /["'(){}[\]\\|,]/
const KEY_FORBIDDEN = /["{}[\]\\|]/

function fieldOf(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`
}

function checkType(type: string, field: string): string {
  const bad = TYPE_FORBIDDEN.exec(type)
  if (bad) {
    throw new AppError(
      'invalid_event_type',
      `${field}: '${type}' contains '${bad[0]}'; an event type is 1-255 characters without " ' ( ) { } [ ] \\ | ,`,
      { field },
    )
  }
  if (type.trim() === '') throw new AppError('invalid_event_type', `${field}: is blank; name the event, e.g. "Order Shipped"`, { field })
  return type
}

function checkKeys(value: unknown, path: string, depth: number): void {
  if (typeof value !== 'object' || value === null) return
  if (depth > PROPERTIES_MAX_DEPTH) {
    throw new AppError('invalid_properties', `${path}: nests deeper than ${PROPERTIES_MAX_DEPTH} levels; flatten the properties`, { field: path })
  }
  if (Array.isArray(value)) {
    value.forEach((entry, index) => checkKeys(entry, `${path}[${index}]`, depth + 1))
    return
  }
  for (const [key, entry] of Object.entries(value)) {
    const bad = KEY_FORBIDDEN.exec(key)
    if (bad || key === '') {
      throw new AppError(
        'invalid_properties',
        `${path}: the key '${key}' ${bad ? `contains '${bad[0]}'` : 'is empty'}; property keys must not contain " { } [ ] \\ |`,
        { field: path },
      )
    }
    checkKeys(entry, `${path}.${key}`, depth + 1)
  }
}

function checkProperties(properties: Record<string, unknown>, field: string): Record<string, unknown> {
  checkKeys(properties, field, 0)
  const bytes = Buffer.byteLength(JSON.stringify(properties))
  if (bytes > PROPERTIES_MAX_BYTES) {
    throw new AppError(
      'invalid_properties',
      `${field}: is ${bytes} bytes as JSON; send at most ${PROPERTIES_MAX_BYTES} bytes of properties per event`,
      { field },
    )
  }
  return properties
}

function occurredAtOf(body: { occurredAt?: string | undefined; occuredAt?: string | undefined }, prefix: string, now: Date): Date {
  // `occuredAt` is a misspelling real clients send (§1.7); the correct name wins when both are present.
  const name = body.occurredAt !== undefined ? 'occurredAt' : 'occuredAt'
  const text = body.occurredAt ?? body.occuredAt
  if (text === undefined) return now
  const result = parseOccurredAt(text, now)
  if (!result.ok) {
    const field = fieldOf(prefix, name)
    throw new AppError('invalid_occurred_at', `${field}: '${text}' ${result.reason}; ${OCCURRED_AT_FORM}`, { field })
  }
  return result.at
}

function base(
  body: CustomEventBody | EcommerceEventBody,
  source: EventSource,
  prefix: string,
): Pick<PreparedEvent, 'companyId' | 'apiKeyId' | 'ids' | 'subscriber' | 'occurredAt' | 'receivedAt' | 'triggers'> {
  const person = readEventUser(body.user, fieldOf(prefix, 'user'), source.defaultCountry)
  const occurredAt = occurredAtOf(body, prefix, source.now)
  return {
    companyId: source.companyId,
    apiKeyId: source.apiKeyId,
    ids: person.ids,
    subscriber: person.subscriber,
    occurredAt,
    receivedAt: source.now,
    triggers: triggersJourneys(occurredAt, source.now),
  }
}

/**
 * Checks a custom event (ATTENTIVE_API.md §2.3) beyond its schema: the type's characters, the property keys and
 * size, `occurredAt`, the user. Throws the 400 naming the field (prefixed by `prefix` in a batch); no I/O.
 */
export function prepareCustomEvent(body: CustomEventBody, source: EventSource, prefix = ''): PreparedEvent {
  const type = checkType(body.type, fieldOf(prefix, 'type'))
  const properties = checkProperties((body.properties ?? {}) as Record<string, unknown>, fieldOf(prefix, 'properties'))
  return {
    ...base(body, source, prefix),
    kind: 'custom',
    type,
    externalEventId: body.externalEventId,
    properties,
    value: null,
    currency: null,
    productIds: null,
  }
}

/** Checks an eCommerce event (ATTENTIVE_API.md §2.5): items, prices, currencies, quantities, `occurredAt`, user. */
export function prepareEcommerceEvent(
  kind: Exclude<EventKind, 'custom'>,
  body: EcommerceEventBody,
  source: EventSource,
  prefix = '',
): PreparedEvent {
  const read = readItems(body.items, fieldOf(prefix, 'items'))
  const purchase = kind === 'purchase'
  const properties: Record<string, unknown> = {
    items: read.items,
    // [OA]: orderId and salesChannel belong to purchases only; on other kinds they are ignored like any extra.
    ...(purchase && body.orderId !== undefined ? { orderId: body.orderId } : {}),
    ...(purchase && body.salesChannel !== undefined ? { salesChannel: body.salesChannel } : {}),
  }
  return {
    ...base(body, source, prefix),
    kind,
    type: kind,
    externalEventId: undefined,
    properties,
    value: purchase ? read.value : null,
    currency: purchase ? read.currency : null,
    productIds: read.productIds,
  }
}
