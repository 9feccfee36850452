import { sql, type Transaction } from 'kysely'
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
  const ids = rows.map((row) => row.id)
  // Webhook fan-out, in this same transaction: one delivery per event and enabled webhook of its company that
  // lists its type, or the phone.* alias of it (the alias is stored as the name to echo). So no event commits
  // without its deliveries; the dispatchers (features/webhooks/dispatcher.ts) send them after the commit.
  await sql`
    insert into webhook_deliveries (company_id, webhook_id, domain_event_id, event_type, user_id, occurred_at)
    select e.company_id, w.id, e.id, name, e.user_id, e.occurred_at
    from domain_events e
    join webhooks w on w.company_id = e.company_id and w.disabled_at is null
    cross join lateral unnest(w.events) as name
    where e.id = any(${ids}::bigint[])
      and (name = e.type or name = case e.type when 'sms.subscribed' then 'phone.subscribed'
                                               when 'sms.unsubscribed' then 'phone.unsubscribed' end)
    order by e.id, w.id
  `.execute(tx)
  return ids
}
