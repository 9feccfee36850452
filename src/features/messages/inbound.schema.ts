import type { Generated } from 'kysely'
import type { Timestamp } from '../../db/schema.ts'
import type { InboundAction, InboundIntent } from '../../compliance/keywords.ts'

/** The reply an inbound text caused. */
export type InboundReply = 'opt_out_confirmation' | 'help' | 'welcome' | 'resubscribe_confirmation'

export interface InboundMessagesTable {
  id: Generated<number>
  company_id: number
  user_id: number | null
  from_address: string
  to_address: string
  body: string
  provider_id: string | null
  intent: InboundIntent
  action: InboundAction
  reply: InboundReply | null
  reply_message_id: number | null
  received_at: Timestamp
}

/** The inbound tables, for src/db/schema.ts. */
export interface InboundTables {
  inbound_messages: InboundMessagesTable
}
