import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { ShortLink } from './short-links.ts'

/** A short link to store: the code, its URL and the message and person it was made for. */
export interface NewShortLink extends ShortLink {
  companyId: number
  messageId: number
  userId: number | null
}

/** Stores short links in one statement. */
export async function insertShortLinks(
  tx: Transaction<Database>,
  links: readonly NewShortLink[],
  now: Date,
): Promise<void> {
  if (links.length === 0) return
  await sql`
    insert into short_links (code, company_id, message_id, user_id, url, created_at)
    select code, company_id, message_id, user_id, url, ${now}::timestamptz
    from unnest(${links.map((l) => l.code)}::text[], ${links.map((l) => l.companyId)}::bigint[],
      ${links.map((l) => l.messageId)}::bigint[], ${links.map((l) => l.userId)}::bigint[], ${links.map((l) => l.url)}::text[])
      as l (code, company_id, message_id, user_id, url)
  `.execute(tx)
}

/** The link behind `code` with its message's fields for the click event, or undefined. */
export function findShortLink(db: Kysely<Database>, code: string) {
  return db
    .selectFrom('short_links as l')
    .innerJoin('messages as m', 'm.id', 'l.message_id')
    .select([
      'l.code',
      'l.company_id',
      'l.message_id',
      'l.user_id',
      'l.url',
      'm.kind',
      'm.name',
      'm.body',
      'm.channel',
      'm.to_address',
    ])
    .where('l.code', '=', code)
    .executeTakeFirst()
}

/** Records one click. */
export async function insertClick(
  tx: Transaction<Database>,
  click: {
    companyId: number
    code: string
    messageId: number
    userId: number | null
    at: Date
    ip: string | null
    userAgent: string | null
  },
): Promise<void> {
  await tx
    .insertInto('link_clicks')
    .values({
      company_id: click.companyId,
      code: click.code,
      message_id: click.messageId,
      user_id: click.userId,
      clicked_at: click.at,
      ip: click.ip,
      user_agent: click.userAgent,
    })
    .execute()
}
