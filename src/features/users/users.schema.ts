import type { ColumnType, Generated } from 'kysely'
import type { Timestamp } from '../../db/schema.ts'

export interface UsersTable {
  id: Generated<number>
  company_id: number
  merged_into_id: number | null
  created_at: Timestamp
  updated_at: Timestamp
}

/** The kinds of identifier a profile can be found by. */
export type IdentifierKind = 'phone' | 'email' | 'client_user_id' | 'shopify_id' | 'klaviyo_id' | 'custom'

export interface UserIdentifiersTable {
  company_id: number
  user_id: number
  kind: IdentifierKind
  name: ColumnType<string, string | undefined, string>
  value: string
  value_key: string
  created_at: Timestamp
}

export interface UserMergesTable {
  id: Generated<number>
  company_id: number
  survivor_id: number
  merged_id: number
  reason: string
  details: ColumnType<Record<string, unknown>, string, string>
  merged_at: Timestamp
}

/** The profile tables, for src/db/schema.ts. */
export interface UserTables {
  users: UsersTable
  user_identifiers: UserIdentifiersTable
  user_merges: UserMergesTable
}
