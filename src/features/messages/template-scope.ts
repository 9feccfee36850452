import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { listIdentifiers } from '../users/identity.queries.ts'

/** What a send adds to a template's variables: the triggering event's properties and a reserved offer's fields. */
export interface ScopeExtras {
  event?: Record<string, unknown> | undefined
  offer?: Record<string, unknown> | undefined
}

/**
 * The variables a message template sees: `company.name`; `profile` (phone, email and every custom attribute of
 * the person, so `{{ profile.firstName }}` works when the brand stores firstName); `attributes` (the custom
 * attributes alone); `event` (the triggering event's properties) and `offer` (a reserved code's fields).
 * `subscriber` is an alias of `profile`. Unknown names render empty (templates.ts: strictVariables off).
 */
export async function templateScope(
  db: Kysely<Database>,
  company: { id: number; name: string },
  userId: number | null,
  to: string,
  extras: ScopeExtras = {},
): Promise<Record<string, unknown>> {
  const attributes: Record<string, string> = {}
  const profile: Record<string, unknown> = { phone: to }
  if (userId !== null) {
    const rows = await db
      .selectFrom('user_attributes')
      .select(['name', 'value'])
      .where('company_id', '=', company.id)
      .where('user_id', '=', userId)
      .execute()
    for (const row of rows) attributes[row.name] = row.value
    for (const identifier of await listIdentifiers(db, company.id, userId)) {
      if (identifier.kind === 'email') profile.email = identifier.value
    }
  }
  Object.assign(profile, attributes, { phone: to })
  return {
    company: { name: company.name },
    profile,
    subscriber: profile,
    attributes,
    event: extras.event ?? {},
    offer: extras.offer ?? {},
  }
}
