import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { insertKey } from '../api-keys/api-keys.queries.ts'
import { FULL_ACCESS } from '../api-keys/scopes.ts'
import { insertCompany } from './companies.queries.ts'

/** The secrets created for a newcomer on the first start of an empty embedded store. */
export interface DemoSetup {
  adminToken: string
  companyId: number
  apiKey: string
}

/**
 * On an empty store with no ATTUNE_ADMIN_TOKEN: creates an admin token (only its hash is kept) and a "Demo"
 * company with a full-access key, in one transaction, so both are printed exactly once. Returns undefined when
 * the store already has a company or an admin token.
 */
export async function createDemoSetup(db: Kysely<Database>): Promise<DemoSetup | undefined> {
  return db.transaction().execute(async (tx) => {
    const company = await tx.selectFrom('companies').select('id').limit(1).executeTakeFirst()
    const token = await tx.selectFrom('instance_settings').select('key').where('key', '=', 'admin_token_sha256').executeTakeFirst()
    if (company || token) return undefined
    const adminToken = randomBytes(32).toString('base64url')
    await tx
      .insertInto('instance_settings')
      .values({ key: 'admin_token_sha256', value: JSON.stringify(createHash('sha256').update(adminToken).digest('hex')) })
      .execute()
    const demo = await insertCompany(tx, { name: 'Demo' })
    const key = await insertKey(tx, demo.id, { name: 'Demo key', scopes: FULL_ACCESS })
    return { adminToken, companyId: demo.id, apiKey: key.secret }
  })
}
