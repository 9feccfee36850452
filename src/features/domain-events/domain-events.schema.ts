import type { ColumnType, Generated } from 'kysely'

export interface DomainEventsTable {
  id: Generated<number>
  company_id: number
  type: string
  user_id: number | null
  payload: ColumnType<Record<string, unknown>, string, string>
  occurred_at: ColumnType<Date, Date | string, Date | string>
  triggers: Generated<boolean>
  created_at: Generated<Date>
}

/** The domain-event table, for src/db/schema.ts. */
export interface DomainEventTables {
  domain_events: DomainEventsTable
}
