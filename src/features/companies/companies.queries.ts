import { sql, type Kysely, type Selectable } from 'kysely'
import type { CompaniesTable, CompanySettings, Database } from '../../db/schema.ts'
import { encodeObjectId } from '../../http/object-id.ts'

/** A company as the admin API shows it. */
export function toApiCompany(row: Selectable<CompaniesTable>) {
  return {
    id: encodeObjectId('Company', row.id),
    name: row.name,
    domain: row.domain,
    settings: row.settings,
    createdAt: row.created_at.toISOString(),
  }
}

/** Inserts a company. */
export function insertCompany(db: Kysely<Database>, company: { name: string; domain?: string | undefined }) {
  return db
    .insertInto('companies')
    .values({ name: company.name, domain: company.domain ?? null })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** The company with `id`, if any. */
export function findCompany(db: Kysely<Database>, id: number) {
  return db.selectFrom('companies').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Every company, oldest first. */
export function listCompanies(db: Kysely<Database>) {
  return db.selectFrom('companies').selectAll().orderBy('id').limit(10_000).execute()
}

/** Changes a company's name and/or settings (settings are replaced key by key). */
export function updateCompany(
  db: Kysely<Database>,
  id: number,
  change: { name?: string | undefined; settings?: CompanySettings | undefined },
) {
  return db
    .updateTable('companies')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.settings !== undefined ? { settings: sql`settings || ${JSON.stringify(change.settings)}::jsonb` } : {}),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}
