import { sql, type Transaction } from 'kysely'
import { encodeSms } from '../../compliance/encoding.ts'
import type { Database } from '../../db/schema.ts'
import type { ConsentType } from '../subscriptions/consents.schema.ts'
import type { MessageKind, MessageOrigin } from './messages.schema.ts'
import { insertShortLinks } from './short-links.queries.ts'
import { shortenLinks, type ShortLink, type ShortLinkRequest } from './short-links.ts'

/** Channel the outbox notifies at commit; dispatchers LISTEN on it to claim new messages at once. */
export const MESSAGES_CHANNEL = 'attune_messages'

/** A message to queue: one recipient, body already rendered. */
export interface NewMessage {
  companyId: number
  /** The person, when known (API sends to a subscriber, journeys); null for a reply to an unknown number. */
  userId?: number | null
  channel: 'TEXT'
  type: ConsentType
  origin: MessageOrigin
  /** E.164. */
  to: string
  /** The text as it goes out (Liquid already rendered, company name already prefixed where it applies). */
  body: string
  mediaUrl?: string | null
  /** Bypass the frequency cap. Default false. */
  skipFatigue?: boolean
  /** Attentive's `messageName`; shown in webhooks as message.name. */
  name?: string | null
  /** The caller's `messageId` (POST /v1/messages): unique per company. */
  clientMessageId?: string | null
  /** SHA-256 of the request that carried clientMessageId. */
  requestFingerprint?: string | null
  /**
   * Opt-in request, confirmation, HELP and opt-out replies: always allowed (COMPLIANCE.md §1.6, CTIA), never held,
   * capped or prefixed. Default false.
   */
  compliance?: boolean
  /** Webhook vocabulary; default derived from origin and type (kindOf). */
  kind?: MessageKind
  /** Replace the body's links with tracked short links on this base URL (`useShortLinks`, `createShortLink`). */
  shortLinks?: ShortLinkRequest | undefined
  /** Links the body was already shortened to (shortenLinks), to store with the message. */
  links?: ShortLink[] | undefined
  /**
   * Stored already `suppressed` with this reason and never dispatched: a send that asked to override an opt-out
   * (`forceSend`), kept as the record that it was refused.
   */
  suppressedReason?: string | undefined
}

/** Attentive's message.type for a message of this origin and type (ATTENTIVE_API.md §4.2). */
export function kindOf(origin: MessageOrigin, type: ConsentType): MessageKind {
  switch (origin) {
    case 'api':
      return type === 'MARKETING' ? 'ONE_TIME' : 'AUTOMATED_TRANSACTIONAL'
    case 'campaign':
      return 'ONE_TIME'
    case 'journey':
      return type === 'MARKETING' ? 'AUTOMATED' : 'AUTOMATED_TRANSACTIONAL'
    case 'keyword_reply':
    case 'welcome':
      return 'AUTO_RESPONSE'
    case 'opt_in_request':
      return 'CONFIRM_OPT_IN'
    case 'opt_out_confirmation':
      return 'OPT_OUT'
    case 'help':
      return 'HELP'
  }
}

/**
 * Queues one message in the caller's transaction: the row (state `queued`, due now) is the dispatch work itself,
 * and dispatchers are notified when the transaction commits. A rollback leaves nothing behind.
 */
export async function queueMessage(
  tx: Transaction<Database>,
  message: NewMessage,
  now: Date,
): Promise<{ id: number }> {
  const [id] = await queueMessages(tx, [message], now)
  if (id === undefined) throw new Error('queueMessage: the insert returned no id')
  return { id }
}

/**
 * Queues messages in one INSERT (unnest keeps the statement's parameter count fixed whatever the batch size) and
 * returns their ids in the order given. Encoding and segments are computed here, after any link shortening, so
 * every message carries them.
 */
export async function queueMessages(
  tx: Transaction<Database>,
  messages: readonly NewMessage[],
  now: Date,
): Promise<number[]> {
  if (messages.length === 0) return []
  const links = messages.map((m) =>
    m.links
      ? { body: m.body, links: m.links }
      : m.shortLinks
        ? shortenLinks(m.body, m.shortLinks)
        : undefined,
  )
  const bodies = messages.map((m, i) => links[i]?.body ?? m.body)
  const encodings = bodies.map((body) => encodeSms(body))
  const column = <T>(pick: (m: NewMessage, i: number) => T) => messages.map(pick)
  const result = await sql<{ id: number }>`
    with inserted as (
      insert into messages (company_id, user_id, channel, type, origin, kind, compliance, to_address, body, media_url,
        segments, encoding, state, suppressed_reason, due_at, client_message_id, request_fingerprint, skip_fatigue,
        name, created_at, updated_at)
      select company_id, user_id, channel, type, origin, kind, compliance, to_address, body, media_url, segments,
        encoding, case when suppressed_reason is null then 'queued' else 'suppressed' end, suppressed_reason,
        case when suppressed_reason is null then ${now}::timestamptz end, client_message_id, request_fingerprint,
        skip_fatigue, name, ${now}::timestamptz, ${now}::timestamptz
      from unnest(
        ${column((m) => m.companyId)}::bigint[], ${column((m) => m.userId ?? null)}::bigint[],
        ${column((m) => m.channel)}::text[], ${column((m) => m.type)}::text[], ${column((m) => m.origin)}::text[],
        ${column((m) => m.kind ?? kindOf(m.origin, m.type))}::text[], ${column((m) => m.compliance ?? false)}::boolean[],
        ${column((m) => m.to)}::text[], ${bodies}::text[], ${column((m) => m.mediaUrl ?? null)}::text[],
        ${encodings.map((e) => e.segments)}::int[], ${encodings.map((e) => e.encoding)}::text[],
        ${column((m) => m.clientMessageId ?? null)}::text[], ${column((m) => m.requestFingerprint ?? null)}::text[],
        ${column((m) => m.skipFatigue ?? false)}::boolean[], ${column((m) => m.name ?? null)}::text[],
        ${column((m) => m.suppressedReason ?? null)}::text[]
      ) with ordinality as m (company_id, user_id, channel, type, origin, kind, compliance, to_address, body, media_url,
        segments, encoding, client_message_id, request_fingerprint, skip_fatigue, name, suppressed_reason, ord)
      order by ord
      returning id
    ),
    -- NOTIFY is delivered at commit only; one call per statement, not per row.
    notified as (select pg_notify(${MESSAGES_CHANNEL}, '') as n)
    select inserted.id from inserted cross join notified order by inserted.id
  `.execute(tx)
  const ids = result.rows.map((row) => row.id)
  const created = links.flatMap((made, i) => {
    const message = messages[i] as NewMessage
    return (made?.links ?? []).map((link) => ({
      ...link,
      companyId: message.companyId,
      messageId: ids[i] as number,
      userId: message.userId ?? null,
    }))
  })
  await insertShortLinks(tx, created, now)
  const refused = messages.flatMap((m, i) =>
    m.suppressedReason ? [{ id: ids[i] as number, companyId: m.companyId, reason: m.suppressedReason }] : [],
  )
  if (refused.length > 0) {
    await tx
      .insertInto('message_events')
      .values(
        refused.map((r) => ({
          message_id: r.id,
          company_id: r.companyId,
          state: 'suppressed' as const,
          at: now,
          detail: JSON.stringify({ reason: r.reason }),
        })),
      )
      .execute()
  }
  return ids
}
