import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import { decodeObjectId, encodeObjectId } from '../../http/object-id.ts'
import type { MessagesTable } from './messages.schema.ts'

/** The numeric id of a message id from the API, or a 404 (a malformed id names no message). */
export function messageIdOf(encoded: string): number {
  const id = decodeObjectId('Message', encoded)
  if (id === undefined) throw unknownMessage()
  return id
}

function unknownMessage(): AppError {
  return new AppError(
    'unknown_message',
    'id: this company has no such message; expected an id from a send answer',
    { field: 'id' },
  )
}

/** A message of `companyId` with its state history, oldest first; a 404 when it is another company's or absent. */
export async function findMessage(db: Kysely<Database>, companyId: number, id: number) {
  const message = await db
    .selectFrom('messages')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('id', '=', id)
    .executeTakeFirst()
  if (!message) throw unknownMessage()
  const history = await db
    .selectFrom('message_events')
    .select(['state', 'at', 'detail'])
    .where('message_id', '=', id)
    .orderBy('id')
    .execute()
  return { message, history }
}

/** A message as the API shows it; its history starts with `queued` at its creation. */
export function toApiMessage(
  row: Selectable<MessagesTable>,
  history: Array<{ state: string; at: Date; detail: Record<string, unknown> | null }>,
) {
  return {
    id: encodeObjectId('Message', row.id),
    to: row.to_address,
    from: row.from_address,
    channel: row.channel,
    subscriptionType: row.type,
    type: row.kind,
    origin: row.origin,
    messageName: row.name,
    body: row.body,
    mediaUrl: row.media_url,
    segments: row.segments,
    encoding: row.encoding,
    state: row.state,
    suppressedReason: row.suppressed_reason,
    holdUntil: row.hold_until ? row.hold_until.toISOString() : null,
    providerId: row.provider_id,
    clientMessageId: row.client_message_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    history: stateHistory(row, history).map((h) => ({
      state: h.state,
      at: h.at.toISOString(),
      detail: h.detail,
    })),
  }
}

const ORDER = [
  'queued',
  'held',
  'sending',
  'sent',
  'unknown',
  'delivered',
  'undelivered',
  'failed',
  'suppressed',
]

/**
 * A message's states in order: `queued` at its creation, `sending` at dispatched_at and `sent` at sent_at (the hot
 * path writes no row for those two), and every row of message_events. Entries of one instant are in state order.
 */
export function stateHistory(
  row: Pick<Selectable<MessagesTable>, 'created_at' | 'dispatched_at' | 'sent_at'>,
  events: ReadonlyArray<{ state: string; at: Date; detail: Record<string, unknown> | null }>,
) {
  const entries = [
    { state: 'queued', at: row.created_at, detail: null as Record<string, unknown> | null },
    ...events,
  ]
  const derived: Array<[string, Date | null]> = [
    ['sending', row.dispatched_at],
    ['sent', row.sent_at],
  ]
  for (const [state, at] of derived) {
    if (at && !events.some((e) => e.state === state && e.at.getTime() === at.getTime()))
      entries.push({ state, at, detail: null })
  }
  return entries.sort(
    (a, b) => a.at.getTime() - b.at.getTime() || ORDER.indexOf(a.state) - ORDER.indexOf(b.state),
  )
}

/** One row of the sandbox's traffic. */
interface SandboxRow {
  message_id: number
  to_address: string
  from_address: string
  body: string
  media_url: string | null
  segments: number
  provider_id: string
  submissions: number
  submitted_at: Date
  state: string
  encoding: string
}

/** What the sandbox carrier was handed for `companyId`, newest first, optionally for one number and since a time. */
export async function listSandboxMessages(
  db: Kysely<Database>,
  companyId: number,
  filter: { to?: string | undefined; since?: Date | undefined; limit: number },
): Promise<SandboxRow[]> {
  const result = await sql<SandboxRow>`
    select s.message_id, s.to_address, s.from_address, s.body, s.media_url, s.segments, s.provider_id, s.submissions,
      s.submitted_at, m.state, m.encoding
    from sandbox_submissions s
    join messages m on m.id = s.message_id
    where s.company_id = ${companyId}
      ${filter.to === undefined ? sql`` : sql`and s.to_address = ${filter.to}`}
      ${filter.since === undefined ? sql`` : sql`and s.submitted_at >= ${filter.since}`}
    order by s.message_id desc
    limit ${filter.limit}
  `.execute(db)
  return result.rows
}

/** A sandbox row as the API shows it. */
export function toApiSandboxMessage(row: SandboxRow) {
  return {
    id: encodeObjectId('Message', row.message_id),
    to: row.to_address,
    from: row.from_address,
    body: row.body,
    mediaUrl: row.media_url,
    state: row.state,
    segments: row.segments,
    encoding: row.encoding,
    providerId: row.provider_id,
    submissions: row.submissions,
    submittedAt: row.submitted_at.toISOString(),
  }
}
