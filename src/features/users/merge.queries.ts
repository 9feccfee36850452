import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'

/** A table with a `user_id` column, as the merge sees it. */
export interface UserTable {
  name: string
  hasCompanyId: boolean
  /** Uses the attune_append_only trigger: its rows are history and stay under the id they were written with. */
  appendOnly: boolean
  /** Column lists of the table's unique keys that include user_id (a moved row must not collide with them). */
  uniqueKeys: string[][]
}

// The schema changes only through migrations, which run before the app serves, so the list is read once per
// process; tests that add a table at run time call forgetUserTables().
let cached: Promise<UserTable[]> | undefined

/** Forgets the cached list of user tables (after creating a table at run time). */
export function forgetUserTables(): void {
  cached = undefined
}

/** Every base table of the current schema with a `user_id` column, read from the catalogue once and cached. */
export function userTables(tx: Transaction<Database>): Promise<UserTable[]> {
  cached ??= readUserTables(tx).catch((error: unknown) => {
    cached = undefined
    throw error
  })
  return cached
}

async function readUserTables(tx: Transaction<Database>): Promise<UserTable[]> {
  const tables = await sql<{ name: string; hasCompanyId: boolean; appendOnly: boolean }>`
    select c.table_name as name,
      exists (select 1 from information_schema.columns k
              where k.table_schema = c.table_schema and k.table_name = c.table_name and k.column_name = 'company_id')
        as "hasCompanyId",
      exists (select 1 from pg_trigger t join pg_proc p on p.oid = t.tgfoid
              where t.tgrelid = format('%I.%I', c.table_schema, c.table_name)::regclass and p.proname = 'attune_append_only')
        as "appendOnly"
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and c.column_name = 'user_id' and t.table_type = 'BASE TABLE'
    order by c.table_name
  `.execute(tx)
  const keys = await sql<{ name: string; columns: string[] }>`
    select cl.relname as name, array_agg(a.attname::text order by k.ord) as columns
    from pg_index i
    join pg_class cl on cl.oid = i.indrelid
    join pg_namespace n on n.oid = cl.relnamespace and n.nspname = current_schema()
    cross join unnest(i.indkey) with ordinality as k (attnum, ord)
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
    where i.indisunique and i.indpred is null
    group by i.indexrelid, cl.relname
    having bool_or(a.attname = 'user_id')
  `.execute(tx)
  return tables.rows.map((table) => ({
    ...table,
    uniqueKeys: keys.rows.filter((key) => key.name === table.name).map((key) => key.columns),
  }))
}

/**
 * Moves the rows of `table` from `otherId` to `survivorId`. A row that would collide with one of the survivor's
 * on a unique key (say a segment membership both profiles have) is dropped first: the survivor's row stands.
 * Returns the number of rows moved.
 */
export async function moveUserRows(
  tx: Transaction<Database>,
  table: UserTable,
  companyId: number,
  survivorId: number,
  otherId: number,
): Promise<number> {
  const scope = table.hasCompanyId ? sql`and company_id = ${companyId}` : sql``
  for (const columns of table.uniqueKeys) {
    const same = columns.filter((c) => c !== 'user_id').map((c) => sql`s.${sql.ref(c)} = o.${sql.ref(c)}`)
    await sql`
      delete from ${sql.table(table.name)} as o
      where o.user_id = ${otherId} ${scope}
        and exists (select 1 from ${sql.table(table.name)} as s where s.user_id = ${survivorId}
                    ${same.length > 0 ? sql`and ${sql.join(same, sql` and `)}` : sql``})
    `.execute(tx)
  }
  const result =
    await sql`update ${sql.table(table.name)} set user_id = ${survivorId} where user_id = ${otherId} ${scope}`.execute(
      tx,
    )
  return Number(result.numAffectedRows ?? 0n)
}
