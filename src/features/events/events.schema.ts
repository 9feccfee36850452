import type { ColumnType, Generated } from 'kysely'
import type { Timestamp } from '../../db/schema.ts'

/** What kind of event a row is: a custom event or one of the three eCommerce events. */
export type EventKind = 'custom' | 'product_view' | 'add_to_cart' | 'purchase'

export interface EventsTable {
  id: Generated<number>
  company_id: number
  user_id: number
  kind: EventKind
  type: string
  occurred_at: Timestamp
  received_at: Timestamp
  external_event_id: string | null
  api_key_id: number | null
  properties: ColumnType<Record<string, unknown>, string, string>
  /** numeric: read as a string so money keeps its digits. */
  value: ColumnType<string | null, string | null, string | null>
  currency: string | null
  product_ids: string[] | null
}

export interface EventExternalIdsTable {
  company_id: number
  external_event_id: string
  claimed_at: Timestamp
}

export interface CustomEventTypesTable {
  company_id: number
  type: string
  property_keys: string[]
  created_by_api_key_id: number | null
  created_at: Timestamp
}

export interface UserEventStatsTable {
  company_id: number
  source_user_id: number
  user_id: number
  kind: EventKind
  type: string
  count: number
  first_occurred_at: Timestamp
  last_occurred_at: Timestamp
  last_value: string | null
  last_currency: string | null
}

export interface UserProductStatsTable {
  company_id: number
  source_user_id: number
  user_id: number
  kind: Exclude<EventKind, 'custom'>
  product_id: string
  count: number
  last_occurred_at: Timestamp
}

/** The event tables, for src/db/schema.ts. */
export interface EventTables {
  events: EventsTable
  event_external_ids: EventExternalIdsTable
  custom_event_types: CustomEventTypesTable
  user_event_stats: UserEventStatsTable
  user_product_stats: UserProductStatsTable
}
