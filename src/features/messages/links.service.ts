import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import { recordDomainEvents } from '../domain-events/domain-events.queries.ts'
import { messageEvent } from './receipts.service.ts'
import { findShortLink, insertClick } from './short-links.queries.ts'

/**
 * A click of `/s/<code>`: records it against the message and person, with the `sms.message_link_click` domain
 * event, in one transaction, and returns the URL to redirect to. An unknown code is a 404.
 */
export async function recordClick(
  db: Kysely<Database>,
  code: string,
  click: { at: Date; ip: string | undefined; userAgent: string | undefined },
): Promise<string> {
  const link = await findShortLink(db, code)
  if (!link)
    throw new AppError(
      'unknown_link',
      `code: no short link ${code.slice(0, 64)}; it may have been mistyped`,
      { field: 'code' },
    )
  await db.transaction().execute(async (tx) => {
    await insertClick(tx, {
      companyId: link.company_id,
      code: link.code,
      messageId: link.message_id,
      userId: link.user_id,
      at: click.at,
      ip: click.ip ?? null,
      userAgent: click.userAgent?.slice(0, 1000) ?? null,
    })
    const message = { ...link, id: link.message_id }
    await recordDomainEvents(tx, [
      messageEvent('sms.message_link_click', message, click.at, { link: { url: link.url } }),
    ])
  })
  return link.url
}
