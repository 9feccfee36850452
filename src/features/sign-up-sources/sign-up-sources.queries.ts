import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { ConsentType } from '../subscriptions/consents.schema.ts'
import type { SignUpSourcesTable } from './sign-up-sources.schema.ts'

/** A source row with the text of its current disclosure. */
export type SignUpSourceRow = Selectable<SignUpSourcesTable> & { disclosure: string }

/** A sign-up source as the API shows it. */
export function toApiSignUpSource(row: SignUpSourceRow) {
  return {
    id: row.id,
    name: row.name,
    channels: row.channels,
    type: row.type,
    locale:
      row.locale_language !== null && row.locale_country !== null
        ? { language: row.locale_language, country: row.locale_country }
        : null,
    disclosure: row.disclosure,
    disclosureVersion: row.disclosure_version,
    doubleOptIn: row.double_opt_in,
    optInRequestText: row.opt_in_request_text,
    welcomeText: row.welcome_text,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

function selectSources(db: Kysely<Database>, companyId: number) {
  return db
    .selectFrom('sign_up_sources as s')
    .innerJoin('sign_up_source_disclosures as d', (join) =>
      join
        .onRef('d.company_id', '=', 's.company_id')
        .onRef('d.source_id', '=', 's.id')
        .onRef('d.version', '=', 's.disclosure_version'),
    )
    .selectAll('s')
    .select('d.text as disclosure')
    .where('s.company_id', '=', companyId)
}

/** The source `id` of a company, if any. */
export function findSignUpSource(
  db: Kysely<Database>,
  companyId: number,
  id: string,
): Promise<SignUpSourceRow | undefined> {
  return selectSources(db, companyId).where('s.id', '=', id).executeTakeFirst()
}

/** Every source of a company whose locale and type are exactly these (subscribe by locale). */
export function findSignUpSourcesByLocale(
  db: Kysely<Database>,
  companyId: number,
  locale: { language: string; country: string },
  type: ConsentType,
): Promise<SignUpSourceRow[]> {
  return selectSources(db, companyId)
    .where('s.locale_language', '=', locale.language)
    .where('s.locale_country', '=', locale.country)
    .where('s.type', '=', type)
    .limit(2)
    .execute()
}

/** Every source of a company, in id order. */
export function listSignUpSources(db: Kysely<Database>, companyId: number): Promise<SignUpSourceRow[]> {
  return selectSources(db, companyId).orderBy('s.created_at').orderBy('s.id').limit(10_000).execute()
}

/** The next generated id: one more than the largest numeric id of the company (from 100001). */
export async function nextSignUpSourceId(tx: Transaction<Database>, companyId: number): Promise<string> {
  // One creator at a time per company, so two generated ids cannot collide.
  await sql`select pg_advisory_xact_lock(hashtextextended('sign_up_sources', ${companyId}))`.execute(tx)
  const result = await sql<{ next: string }>`
    select (coalesce(max(id::bigint), 100000) + 1)::text as next
    from sign_up_sources where company_id = ${companyId} and id ~ '^[0-9]{1,15}$'
  `.execute(tx)
  return result.rows[0]?.next ?? '100001'
}

/** Stores a new version of a source's disclosure. */
export async function insertDisclosure(
  tx: Transaction<Database>,
  companyId: number,
  sourceId: string,
  version: number,
  text: string,
  now: Date,
): Promise<void> {
  await tx
    .insertInto('sign_up_source_disclosures')
    .values({ company_id: companyId, source_id: sourceId, version, text, created_at: now })
    .execute()
}
