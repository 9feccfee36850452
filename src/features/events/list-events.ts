import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import type { UserEventsQueryType } from './events.schemas.ts'
import { findLiveUser, listUserEvents, toApiEvent, type EventCursor } from './events.queries.ts'

/** The opaque cursor: base64url of `<occurredAt ISO>|<id>`, the last event of the page. */
export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(`${cursor.occurredAt.toISOString()}|${cursor.id}`).toString('base64url')
}

function decodeCursor(text: string): EventCursor {
  const [iso = '', id = ''] = Buffer.from(text, 'base64url').toString('utf8').split('|')
  const occurredAt = new Date(iso)
  if (!/^\d{1,16}$/.test(id) || Number.isNaN(occurredAt.getTime()) || occurredAt.toISOString() !== iso) {
    throw new AppError('invalid_cursor', `cursor: '${text}' is not a cursor of this list; send the cursor of the previous page as given`, {
      field: 'cursor',
    })
  }
  return { occurredAt, id: Number(id) }
}

/**
 * `GET /v1/users/{id}/events`: one page of a person's events, newest first. A merged profile's id shows the
 * profile it was merged into (its events moved there). Another company's user, or no user, is a 404.
 */
export async function listEventsPage(
  db: Kysely<Database>,
  companyId: number,
  userId: number | undefined,
  shownId: string,
  query: UserEventsQueryType,
) {
  const live = userId === undefined ? undefined : await findLiveUser(db, companyId, userId)
  if (live === undefined) throw new AppError('unknown_user', `userId: no user ${shownId}`, { field: 'userId' })
  const rows = await listUserEvents(db, companyId, live, {
    type: query.type,
    since: query.since === undefined ? undefined : new Date(query.since),
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    limit: query.limit,
  })
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  const hasMore = rows.length > query.limit
  return {
    events: page.map(toApiEvent),
    cursor: hasMore && last ? encodeCursor({ occurredAt: last.occurred_at, id: last.id }) : null,
    hasMore,
  }
}
