import type { ColumnType, Generated } from 'kysely'
import type { Timestamp } from '../../db/schema.ts'

/** A messaging channel: TEXT (SMS/MMS) or EMAIL. */
export type Channel = 'TEXT' | 'EMAIL'
/** What a consent covers: marketing (written consent) or transactional messages. */
export type ConsentType = 'MARKETING' | 'TRANSACTIONAL'
/** A consent's state; PENDING waits for the subscriber's "Y". */
export type ConsentState = 'PENDING' | 'SUBSCRIBED' | 'UNSUBSCRIBED'
/** Who changed a consent. */
export type ActorKind = 'api_key' | 'keyword' | 'operator' | 'import' | 'merge'

export interface ConsentsTable {
  company_id: number
  user_id: number
  channel: Channel
  type: ConsentType
  state: ConsentState
  address: string
  sign_up_source_id: string | null
  created_at: Timestamp
  changed_at: Timestamp
}

export interface ConsentLedgerTable {
  id: Generated<number>
  company_id: number
  user_id: number
  channel: Channel
  type: ConsentType
  address: string
  address_as_given: string | null
  previous_state: ConsentState | null
  new_state: ConsentState
  reason: string
  actor_kind: ActorKind
  actor_id: string | null
  sign_up_source_id: string | null
  disclosure_version: number | null
  ip: string | null
  user_agent: string | null
  message_id: string | null
  occurred_at: Timestamp
  recorded_at: ColumnType<Date, never, never>
}

/** The consent tables, for src/db/schema.ts. */
export interface ConsentTables {
  consents: ConsentsTable
  consent_ledger: ConsentLedgerTable
}
