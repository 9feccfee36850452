import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { recordDomainEvents, type NewDomainEvent } from '../domain-events/domain-events.queries.ts'
import { resolveEventUsers } from './event-users.queries.ts'
import type { EventTypeRegistry } from './event-types.ts'
import type { EventKind } from './events.schema.ts'
import type { PreparedEvent } from './events.service.ts'
import { claimExternalIds, insertEvents } from './events.queries.ts'
import { eventStatsUpsert, productStatsUpsert } from './rollups.queries.ts'

/** What became of one event: stored, or a repeat of an externalEventId already stored (answered the same). */
export type StoreOutcome = 'stored' | 'duplicate'

/**
 * The domain event each kind writes, for journeys and webhooks. `custom_event` is the name webhooks already
 * know (features/webhooks/event-types.ts); the eCommerce names are namespaced so they never meet a webhook name.
 */
export const DOMAIN_EVENT_TYPES: Record<EventKind, string> = {
  custom: 'custom_event',
  product_view: 'ecommerce.product_view',
  add_to_cart: 'ecommerce.add_to_cart',
  purchase: 'ecommerce.purchase',
}

/** A batch written: each event's outcome, and what to do once the transaction has committed. */
export interface StoredBatch {
  outcomes: StoreOutcome[]
  afterCommit: () => void
}

function domainEventOf(event: PreparedEvent, eventId: number, userId: number): NewDomainEvent {
  const body: Record<string, unknown> =
    event.kind === 'custom'
      ? { type: event.type, properties: event.properties }
      : { type: event.kind, ...event.properties, ...(event.value !== null ? { value: event.value, currency: event.currency } : {}) }
  if (event.externalEventId !== undefined) body.external_event_id = event.externalEventId
  return {
    companyId: event.companyId,
    type: DOMAIN_EVENT_TYPES[event.kind],
    userId,
    occurredAt: event.occurredAt,
    triggers: event.triggers,
    payload: { event_id: eventId, event: body, subscriber: event.subscriber },
  }
}

/**
 * Writes a batch of prepared events in the caller's transaction: claims their externalEventIds (repeats, in the
 * batch or already stored, are skipped), finds or creates each person, inserts the events, their domain events,
 * the per-person rollups and new custom event types. A fixed number of statements whatever the batch size,
 * plus one resolveUser per person not yet fully known.
 */
export async function storeEvents(
  tx: Transaction<Database>,
  events: PreparedEvent[],
  registry: EventTypeRegistry,
  now: Date,
): Promise<StoredBatch> {
  const outcomes: StoreOutcome[] = events.map(() => 'stored')
  const firstOfId = new Map<string, number>()
  events.forEach((event, index) => {
    if (event.externalEventId === undefined) return
    const key = `${event.companyId}\u0000${event.externalEventId}`
    if (firstOfId.has(key)) outcomes[index] = 'duplicate'
    else firstOfId.set(key, index)
  })
  if (firstOfId.size > 0) {
    const claimed = await claimExternalIds(tx, [...firstOfId.values()].map((index) => events[index] as PreparedEvent))
    for (const [key, index] of firstOfId) if (!claimed.has(key)) outcomes[index] = 'duplicate'
  }
  const fresh = events.filter((_, index) => outcomes[index] === 'stored')
  if (fresh.length === 0) return { outcomes, afterCommit: () => {} }

  const userIds = await resolveEventUsers(tx, fresh, now)
  const eventIds = await insertEvents(tx, fresh, userIds, [eventStatsUpsert(fresh, userIds), productStatsUpsert(fresh, userIds)])
  await recordDomainEvents(
    tx,
    fresh.map((event, index) => domainEventOf(event, eventIds[index] ?? 0, userIds[index] ?? 0)),
  )
  const types = registry.unknownIn(fresh)
  await registry.write(tx, types, now)
  return { outcomes, afterCommit: () => registry.remember(types) }
}
