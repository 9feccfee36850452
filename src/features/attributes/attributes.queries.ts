import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { AttributeType } from './attributes.schema.ts'

/** A profile's attribute values in name order (byte order, the same on every server's collation). */
export function listAttributes(db: Kysely<Database>, companyId: number, userId: number) {
  return db
    .selectFrom('user_attributes')
    .select(['name', 'value', 'fits_type', 'updated_at'])
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .orderBy(sql`name collate "C"`)
    .execute()
}

/** The definitions (id, fixed type) of these names, creating the missing ones with the types given. */
export async function ensureDefinitions(
  tx: Transaction<Database>,
  companyId: number,
  wanted: Array<{ name: string; type: AttributeType }>,
  now: Date,
): Promise<Map<string, { id: number; type: AttributeType }>> {
  await tx
    .insertInto('custom_attribute_definitions')
    .values(wanted.map((w) => ({ company_id: companyId, name: w.name, type: w.type, created_at: now })))
    .onConflict((oc) => oc.columns(['company_id', 'name']).doNothing())
    .execute()
  const rows = await tx
    .selectFrom('custom_attribute_definitions')
    .select(['id', 'name', 'type'])
    .where('company_id', '=', companyId)
    .where(
      'name',
      'in',
      wanted.map((w) => w.name),
    )
    .execute()
  return new Map(rows.map((r) => [r.name, { id: r.id, type: r.type }]))
}

/** Writes attribute values of one profile in one statement. */
export async function upsertAttributes(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
  values: Array<{ name: string; value: string; fits: boolean }>,
  now: Date,
): Promise<void> {
  await tx
    .insertInto('user_attributes')
    .values(
      values.map((v) => ({
        company_id: companyId,
        user_id: userId,
        name: v.name,
        value: v.value,
        fits_type: v.fits,
        updated_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['user_id', 'name']).doUpdateSet((eb) => ({
        value: eb.ref('excluded.value'),
        fits_type: eb.ref('excluded.fits_type'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute()
}
