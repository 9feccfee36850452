import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { IdentifierKind } from './users.schema.ts'

/** One identifier as stored: `value` as given, `key` what matching compares. */
export interface IdentifierRow {
  kind: IdentifierKind
  name: string
  value: string
  key: string
}

/** A profile an identifier led to; `mergedIntoId` is set when it has since been merged away. */
export interface FoundIdentifier {
  kind: IdentifierKind
  name: string
  key: string
  userId: number
  mergedIntoId: number | null
  createdAt: Date
}

/**
 * Serialises every transaction that resolves one of these identifiers, for the rest of the transaction: two
 * first-time subscribes of one phone then make one profile, not two (or a unique-key 500). Transaction-scoped
 * advisory locks need no table and vanish at commit or rollback; taken in key order, two merges cannot deadlock.
 */
export async function lockIdentifiers(
  tx: Transaction<Database>,
  companyId: number,
  rows: IdentifierRow[],
): Promise<void> {
  const keys = rows.map((row) => `${row.kind}\u001f${row.name}\u001f${row.key}`)
  await sql`
    select count(pg_advisory_xact_lock(h)) from (
      select distinct hashtextextended(k, ${companyId}) as h from unnest(${keys}::text[]) as k order by h
    ) as locks
  `.execute(tx)
}

/**
 * The profiles these identifiers name, each row locked FOR SHARE so a concurrent merge of that profile waits for
 * this transaction (and anything it writes under the profile's id is then moved by the merge), or, if the merge
 * came first, this read waits and sees `merged_into_id`.
 */
export async function findIdentifiers(
  db: Kysely<Database>,
  companyId: number,
  rows: IdentifierRow[],
  lock: boolean,
): Promise<FoundIdentifier[]> {
  const result = await sql<FoundIdentifier>`
    select i.kind, i.name, i.value_key as key, u.id as "userId", u.merged_into_id as "mergedIntoId",
           u.created_at as "createdAt"
    from unnest(${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.key)}::text[])
      as w (kind, name, value_key)
    join user_identifiers i
      on i.company_id = ${companyId} and i.kind = w.kind and i.name = w.name and i.value_key = w.value_key
    join users u on u.id = i.user_id
    ${lock ? sql`for share of u` : sql``}
  `.execute(db)
  return result.rows
}

/** The live profile `userId` has been folded into (itself when it was never merged), locked FOR SHARE. */
export async function followMerges(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
): Promise<number> {
  let current = userId
  for (let hop = 0; hop < 10; hop++) {
    const row = await tx
      .selectFrom('users')
      .select('merged_into_id')
      .where('company_id', '=', companyId)
      .where('id', '=', current)
      .forShare()
      .executeTakeFirstOrThrow()
    if (row.merged_into_id === null) return current
    current = row.merged_into_id
  }
  throw new Error(`followMerges: user ${userId} is merged in a chain longer than 10`)
}

/** Creates a profile with its identifiers in one statement; returns its id. */
export async function insertUserWithIdentifiers(
  tx: Transaction<Database>,
  companyId: number,
  rows: IdentifierRow[],
  now: Date,
): Promise<number> {
  const result = await sql<{ id: number }>`
    with u as (
      insert into users (company_id, created_at, updated_at) values (${companyId}, ${now}, ${now}) returning id
    ), i as (
      insert into user_identifiers (company_id, user_id, kind, name, value, value_key, created_at)
      select ${companyId}, u.id, w.kind, w.name, w.value, w.value_key, ${now}
      from u, unnest(${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.name)}::text[],
                     ${rows.map((r) => r.value)}::text[], ${rows.map((r) => r.key)}::text[]) as w (kind, name, value, value_key)
    )
    select id from u
  `.execute(tx)
  const id = result.rows[0]?.id
  if (id === undefined) throw new Error('insertUserWithIdentifiers: no id returned')
  return id
}

/** Links identifiers to a profile; ones already linked (to anyone) are left as they are. */
export async function linkIdentifiers(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
  rows: IdentifierRow[],
  now: Date,
) {
  if (rows.length === 0) return
  await tx
    .insertInto('user_identifiers')
    .values(
      rows.map((r) => ({
        company_id: companyId,
        user_id: userId,
        kind: r.kind,
        name: r.name,
        value: r.value,
        value_key: r.key,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** Every identifier of a profile, oldest first. */
export function listIdentifiers(db: Kysely<Database>, companyId: number, userId: number) {
  return db
    .selectFrom('user_identifiers')
    .select(['kind', 'name', 'value', 'created_at'])
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('kind')
    .orderBy('value')
    .execute()
}
