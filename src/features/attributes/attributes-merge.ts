import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'

/**
 * The attribute rule of a merge: per name, the value written last wins; the other profile's values are then
 * removed. The 100-name limit applies to writes, not to a merge, which keeps everything the person gave.
 */
export async function mergeAttributes(
  tx: Transaction<Database>,
  companyId: number,
  survivorId: number,
  otherId: number,
): Promise<{ moved: number }> {
  const result = await sql`
    insert into user_attributes (company_id, user_id, name, value, fits_type, updated_at)
    select company_id, ${survivorId}, name, value, fits_type, updated_at
    from user_attributes where company_id = ${companyId} and user_id = ${otherId}
    on conflict (user_id, name) do update
      set value = excluded.value, fits_type = excluded.fits_type, updated_at = excluded.updated_at
      where user_attributes.updated_at < excluded.updated_at
  `.execute(tx)
  await tx
    .deleteFrom('user_attributes')
    .where('company_id', '=', companyId)
    .where('user_id', '=', otherId)
    .execute()
  return { moved: Number(result.numAffectedRows ?? 0n) }
}
