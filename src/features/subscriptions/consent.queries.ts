import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { Channel, ConsentLedgerTable, ConsentsTable, ConsentType } from './consents.schema.ts'

/** A current consent row. */
export type ConsentRow = Selectable<ConsentsTable>
/** A ledger row. */
export type LedgerRow = Selectable<ConsentLedgerTable>

/**
 * Serialises consent changes of these profiles until the transaction ends, so two requests for one person
 * cannot both read "no consent" and both record a first opt-in. Sorted, so merges cannot deadlock.
 */
export async function lockConsents(tx: Transaction<Database>, userIds: number[]): Promise<void> {
  await sql`
    select count(pg_advisory_xact_lock(h)) from (
      select distinct hashtextextended('consent', u) as h from unnest(${userIds}::bigint[]) as u order by h
    ) as locks
  `.execute(tx)
}

/** The current consents of a profile (every channel and type it has a record of). */
export function findConsents(db: Kysely<Database>, companyId: number, userId: number): Promise<ConsentRow[]> {
  return db
    .selectFrom('consents')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .execute()
}

/** The current consent of a profile, following a merge to the surviving profile. */
export function findConsent(
  db: Kysely<Database>,
  companyId: number,
  userId: number,
  channel: Channel,
  type: ConsentType,
) {
  return db
    .selectFrom('users as u')
    .innerJoin('consents as c', (join) => join.on(sql`c.user_id`, '=', sql`coalesce(u.merged_into_id, u.id)`))
    .selectAll('c')
    .where('u.company_id', '=', companyId)
    .where('u.id', '=', userId)
    .where('c.channel', '=', channel)
    .where('c.type', '=', type)
    .executeTakeFirst()
}

/** Whether `address` ever opted out of `channel` in this company, under any profile (it then re-joins by DOI). */
export async function everOptedOut(
  db: Kysely<Database>,
  companyId: number,
  channel: Channel,
  address: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('consent_ledger')
    .select('id')
    .where('company_id', '=', companyId)
    .where('channel', '=', channel)
    .where('address', '=', address)
    .where('new_state', '=', 'UNSUBSCRIBED')
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** Writes the current state of several consents of one profile in one statement. */
export async function upsertConsents(
  tx: Transaction<Database>,
  rows: Insertable<ConsentsTable>[],
): Promise<void> {
  if (rows.length === 0) return
  await tx
    .insertInto('consents')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['user_id', 'channel', 'type']).doUpdateSet((eb) => ({
        state: eb.ref('excluded.state'),
        address: eb.ref('excluded.address'),
        sign_up_source_id: eb.ref('excluded.sign_up_source_id'),
        changed_at: eb.ref('excluded.changed_at'),
      })),
    )
    .execute()
}

/** Removes a profile's consents (after a merge moved what survives). */
export async function deleteConsents(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
): Promise<void> {
  await tx.deleteFrom('consents').where('company_id', '=', companyId).where('user_id', '=', userId).execute()
}

/** Appends ledger rows in one statement. */
export async function insertLedger(
  tx: Transaction<Database>,
  rows: Insertable<ConsentLedgerTable>[],
): Promise<void> {
  if (rows.length === 0) return
  await tx.insertInto('consent_ledger').values(rows).execute()
}

/** The ledger of these profiles (a survivor and those merged into it), oldest first, with the disclosure text. */
export function findLedger(db: Kysely<Database>, companyId: number, userIds: number[]) {
  return db
    .selectFrom('consent_ledger as l')
    .leftJoin('sign_up_source_disclosures as d', (join) =>
      join
        .onRef('d.company_id', '=', 'l.company_id')
        .onRef('d.source_id', '=', 'l.sign_up_source_id')
        .onRef('d.version', '=', 'l.disclosure_version'),
    )
    .leftJoin('sign_up_sources as s', (join) =>
      join.onRef('s.company_id', '=', 'l.company_id').onRef('s.id', '=', 'l.sign_up_source_id'),
    )
    .selectAll('l')
    .select(['d.text as disclosure_text', 's.name as sign_up_source_name'])
    .where('l.company_id', '=', companyId)
    .where('l.user_id', 'in', userIds)
    .orderBy('l.occurred_at')
    .orderBy('l.id')
    .execute()
}
