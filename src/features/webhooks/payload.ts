import { encodeObjectId } from '../../http/object-id.ts'

/** A profile's identifiers in Attune's words, as subscriberFromIdentifiers builds them at delivery time. */
export interface Subscriber {
  userId?: number
  phone?: string
  email?: string
  externalIdentifiers?: {
    clientUserId?: string[]
    shopifyId?: string[]
    klaviyoId?: string[]
    customIdentifiers?: Record<string, string[]>
  }
}

/** The event a delivery carries, as read from `domain_events` at delivery time. */
export interface PayloadEvent {
  /** The domain event's type (sms.subscribed ...). */
  type: string
  userId: number | null
  occurredAt: Date
  /** The event's fields in Attune's words (camelCase): subscriber, subscription, creative, message ... */
  payload: Record<string, unknown>
}

/** What buildPayload needs. */
export interface PayloadInput {
  /** The name the webhook registered (a phone.* alias is echoed as registered, ATTENTIVE_API.md §4.1). */
  registeredType: string
  event: PayloadEvent
  company: { id: number; name: string }
  /** The profile's identifiers now; what the event recorded about its subscriber takes precedence. */
  profile?: Subscriber | undefined
}

/** Event fields copied into the body, per event type (ATTENTIVE_API.md §4.2), with their wire form. */
const FIELDS: Record<string, readonly string[]> = {
  'sms.subscribed': ['creative', 'subscription'],
  'email.subscribed': ['creative', 'subscription'],
  'sms.unsubscribed': ['subscription'],
  'email.unsubscribed': ['subscription'],
  'sms.sent': ['message'],
  'email.sent': ['message'],
  'sms.message_link_click': ['message', 'link'],
  'email.message_link_click': ['message', 'link'],
  'email.opened': ['message'],
  'sms.inbound_message': ['message'],
  'custom_attribute.set': ['userProperty'],
  // Attune extensions: a message with its carrier receipt; a custom event with its properties.
  'sms.delivered': ['message', 'receipt'],
  'sms.failed': ['message', 'receipt'],
  custom_event: ['event'],
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

/** The top-level keys in snake_case; values (custom properties, identifier names) are left as they are. */
function snakeKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [snakeCase(key), inner]))
}

/**
 * The subscriber block (§4.2): what the event recorded about its subscriber (in Attune's camelCase or already in
 * the wire's snake_case), completed from the profile as it is now. `external_id` is Attune's user id; `phone` and
 * `email` only when known; `external_identifiers` only when there are some, each a list, custom ones by name.
 */
function wireSubscriber(recorded: Record<string, unknown>, profile: Subscriber, userId: number | null): Record<string, unknown> {
  const id = recorded.userId ?? recorded.external_id ?? profile.userId ?? userId
  const phone = recorded.phone ?? profile.phone
  const email = recorded.email ?? profile.email
  const external = recorded.externalIdentifiers ?? recorded.external_identifiers ?? profile.externalIdentifiers
  const identifiers = isRecord(external) ? snakeKeys(external) : {}
  return {
    ...(id !== null && id !== undefined ? { external_id: id } : {}),
    ...(phone !== undefined ? { phone } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(Object.keys(identifiers).length > 0 ? { external_identifiers: identifiers } : {}),
  }
}

/** One event field in its wire form. */
function wireField(field: string, value: unknown): unknown {
  if (!isRecord(value)) return value
  switch (field) {
    case 'subscription':
      // Attentive's payload carries only the type (MARKETING, TRANSACTIONAL).
      return { type: value.type }
    case 'message':
      return snakeKeys(typeof value.id === 'number' ? { ...value, id: encodeObjectId('Message', value.id) } : value)
    default:
      return snakeKeys(value)
  }
}

/**
 * The JSON object one delivery POSTs: Attentive's envelope (`type`, `timestamp` in Unix ms, `company`,
 * `subscriber`) plus the event's own fields in Attentive's wire form (§4.2). Built at delivery time from the
 * event row and the profile; the one place to extend when payloads grow.
 */
export function buildPayload(input: PayloadInput): Record<string, unknown> {
  const { event, company } = input
  const recorded = isRecord(event.payload.subscriber) ? event.payload.subscriber : {}
  const body: Record<string, unknown> = {
    type: input.registeredType,
    timestamp: event.occurredAt.getTime(),
    company: { display_name: company.name, company_id: encodeObjectId('Company', company.id) },
    subscriber: wireSubscriber(recorded, input.profile ?? {}, event.userId),
  }
  for (const field of FIELDS[event.type] ?? []) {
    const value = event.payload[field]
    if (value !== undefined) body[snakeCase(field)] = wireField(field, value)
  }
  return body
}

/** One stored identifier of a profile, oldest first. */
export interface IdentifierValue {
  kind: string
  name: string
  value: string
}

const EXTERNAL_KINDS: Record<string, 'clientUserId' | 'shopifyId' | 'klaviyoId'> = {
  client_user_id: 'clientUserId',
  shopify_id: 'shopifyId',
  klaviyo_id: 'klaviyoId',
}

/** A profile's identifiers (oldest first) as a Subscriber: the newest phone and email, every external id. */
export function subscriberFromIdentifiers(userId: number, identifiers: IdentifierValue[]): Subscriber {
  const subscriber: Subscriber = { userId }
  const external: NonNullable<Subscriber['externalIdentifiers']> = {}
  for (const identifier of identifiers) {
    if (identifier.kind === 'phone') subscriber.phone = identifier.value
    else if (identifier.kind === 'email') subscriber.email = identifier.value
    else if (identifier.kind === 'custom') ((external.customIdentifiers ??= {})[identifier.name] ??= []).push(identifier.value)
    else {
      const key = EXTERNAL_KINDS[identifier.kind]
      if (key) (external[key] ??= []).push(identifier.value)
    }
  }
  if (Object.keys(external).length > 0) subscriber.externalIdentifiers = external
  return subscriber
}
