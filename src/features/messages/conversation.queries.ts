import { sql, type Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { encodeObjectId } from '../../http/object-id.ts'

/** One line of a conversation: a text the person sent, or one the company sent them. */
export interface ConversationEntry {
  direction: 'inbound' | 'outbound'
  id: number
  at: Date
  from: string | null
  to: string
  body: string
  /** Inbound: what the text was read as (opt_out, help, ...). Outbound: Attentive's message type (ONE_TIME ...). */
  kind: string
  /** Outbound only: the message's state. */
  state: string | null
}

/**
 * The conversation with one number, newest first: the texts it sent (inbound_messages_from) and the messages
 * to it that belong to the profile `userId` holds it under (messages_user), so each side is an index scan.
 * `before` pages back: entries strictly older than it.
 */
export async function listConversation(
  db: Kysely<Database>,
  companyId: number,
  phone: string,
  userId: number | undefined,
  options: { limit: number; before?: Date | undefined },
): Promise<ConversationEntry[]> {
  const before = options.before ?? new Date(8.64e15)
  const result = await sql<ConversationEntry>`
    (select 'inbound' as direction, id, received_at as at, from_address as "from", to_address as "to", body,
       intent as kind, null as state
     from inbound_messages
     where company_id = ${companyId} and from_address = ${phone} and received_at < ${before}
     order by id desc limit ${options.limit})
    union all
    (select 'outbound', id, created_at, from_address, to_address, body, kind, state
     from messages
     where company_id = ${companyId} and user_id = ${userId ?? null} and to_address = ${phone}
       and created_at < ${before}
     order by id desc limit ${options.limit})
    order by at desc, direction desc, id desc
    limit ${options.limit}
  `.execute(db)
  return result.rows
}

/** A conversation entry as `GET /v1/conversations` shows it. */
export function toApiConversationEntry(entry: ConversationEntry) {
  return {
    direction: entry.direction,
    id: encodeObjectId(entry.direction === 'inbound' ? 'InboundMessage' : 'Message', entry.id),
    at: entry.at.toISOString(),
    from: entry.from,
    to: entry.to,
    body: entry.body,
    kind: entry.kind,
    state: entry.state,
  }
}
