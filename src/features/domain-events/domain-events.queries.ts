import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'

/** A domain event to record; `type` is Attentive's webhook event name (ATTENTIVE_API.md §4.1). */
export interface NewDomainEvent {
  companyId: number
  type: string
  userId?: number | null
  payload?: Record<string, unknown>
  occurredAt: Date
  /** False: the event is kept but starts no journey (e.g. older than 12 hours). Default true. */
  triggers?: boolean
}

/** Hooks run in the same transaction after domain events are written (webhook deliveries register here). */
export type DomainEventListener = (tx: Transaction<Database>, events: Array<NewDomainEvent & { id: number }>) => Promise<void>

const listeners: DomainEventListener[] = []

/** Registers a listener that runs inside every transaction that records domain events. */
export function onDomainEvents(listener: DomainEventListener): void {
  if (!listeners.includes(listener)) listeners.push(listener)
}

/**
 * Records events in the caller's transaction, so the change and its announcement commit together, and lets the
 * registered listeners (webhook deliveries) add their rows in the same transaction.
 */
export async function recordDomainEvents(tx: Transaction<Database>, events: NewDomainEvent[]): Promise<number[]> {
  if (events.length === 0) return []
  const rows = await tx
    .insertInto('domain_events')
    .values(
      events.map((event) => ({
        company_id: event.companyId,
        type: event.type,
        user_id: event.userId ?? null,
        payload: JSON.stringify(event.payload ?? {}),
        occurred_at: event.occurredAt,
        triggers: event.triggers ?? true,
      })),
    )
    .returning('id')
    .execute()
  const recorded = events.map((event, index) => ({ ...event, id: rows[index]!.id }))
  for (const listener of listeners) await listener(tx, recorded)
  return recorded.map((event) => event.id)
}
