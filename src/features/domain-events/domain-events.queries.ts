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

/**
 * Records events in the caller's transaction, so the change and its announcement commit together.
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
  return rows.map((row) => row.id)
}
