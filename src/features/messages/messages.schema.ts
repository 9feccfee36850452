import type { ColumnType, Generated } from 'kysely'
import type { Timestamp } from '../../db/schema.ts'
import type { Channel, ConsentType } from '../subscriptions/consents.schema.ts'

/** Where a message came from. */
export type MessageOrigin =
  | 'api'
  | 'journey'
  | 'campaign'
  | 'keyword_reply'
  | 'opt_in_request'
  | 'welcome'
  | 'opt_out_confirmation'
  | 'help'

/** Attentive's webhook vocabulary for a message's type (ATTENTIVE_API.md §4.2). */
export type MessageKind =
  | 'ONE_TIME'
  | 'AUTOMATED'
  | 'AUTOMATED_TRANSACTIONAL'
  | 'AUTO_RESPONSE'
  | 'CONFIRM_OPT_IN'
  | 'OPT_OUT'
  | 'HELP'

/** A message's state (src/features/messages/states.ts orders them). */
export type MessageState =
  'queued' | 'held' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'unknown' | 'suppressed'

export interface MessagesTable {
  id: Generated<number>
  company_id: number
  user_id: number | null
  channel: Channel
  type: ConsentType
  origin: MessageOrigin
  kind: MessageKind
  compliance: Generated<boolean>
  to_address: string
  from_address: string | null
  body: string
  media_url: string | null
  segments: number
  encoding: 'GSM-7' | 'UCS-2'
  state: Generated<MessageState>
  suppressed_reason: string | null
  hold_until: Timestamp | null
  due_at: Timestamp | null
  attempts: Generated<number>
  locked_by: string | null
  provider_id: string | null
  client_message_id: string | null
  request_fingerprint: string | null
  skip_fatigue: Generated<boolean>
  name: string | null
  dispatched_at: Timestamp | null
  sent_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface MessageEventsTable {
  id: Generated<number>
  message_id: number
  company_id: number
  state: MessageState
  at: Timestamp
  detail: ColumnType<Record<string, unknown> | null, string | null, string | null>
}

export interface SandboxSubmissionsTable {
  message_id: number
  company_id: number
  provider_id: string
  to_address: string
  from_address: string
  body: string
  media_url: string | null
  segments: number
  submissions: Generated<number>
  submitted_at: Timestamp
  receipt_due_at: Timestamp
  receipt_status: 'delivered' | 'undelivered' | 'failed'
  receipted_at: Timestamp | null
}

export interface ShortLinksTable {
  code: string
  company_id: number
  message_id: number
  user_id: number | null
  url: string
  created_at: Timestamp
}

export interface LinkClicksTable {
  id: Generated<number>
  company_id: number
  code: string
  message_id: number
  user_id: number | null
  clicked_at: Timestamp
  ip: string | null
  user_agent: string | null
}

export interface SuppressedAddressesTable {
  company_id: number
  channel: Channel
  address_hash: Buffer
  reason: 'deleted' | 'operator'
  created_at: Timestamp
}

/** The messaging tables, for src/db/schema.ts. */
export interface MessageTables {
  messages: MessagesTable
  message_events: MessageEventsTable
  sandbox_submissions: SandboxSubmissionsTable
  short_links: ShortLinksTable
  link_clicks: LinkClicksTable
  suppressed_addresses: SuppressedAddressesTable
}
