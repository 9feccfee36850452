import { createHash, randomBytes } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { CompanySettings, Database } from '../../db/schema.ts'

/** A key as the auth layer needs it, found by the hash of the presented secret. */
export interface AuthenticatedKey {
  keyId: number
  keyName: string
  contactEmail: string | null
  scopes: string[]
  company: { id: number; name: string; domain: string | null; settings: CompanySettings }
}

/** SHA-256 of a key: keys are 32 random bytes, so a fast hash stores them safely (ADR 0005). */
export function hashKey(secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}

/** A new secret: 32 random bytes in base64url (43 characters), as Attentive's keys are opaque. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** The live (not revoked) key whose hash is `hash`, with its company. */
export async function findKeyByHash(db: Kysely<Database>, hash: Buffer): Promise<AuthenticatedKey | undefined> {
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin('companies as c', 'c.id', 'k.company_id')
    .select([
      'k.id as keyId',
      'k.name as keyName',
      'k.contact_email as contactEmail',
      'k.scopes',
      'c.id as companyId',
      'c.name as companyName',
      'c.domain',
      'c.settings',
    ])
    .where('k.key_hash', '=', hash)
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    keyId: row.keyId,
    keyName: row.keyName,
    contactEmail: row.contactEmail,
    scopes: row.scopes,
    company: { id: row.companyId, name: row.companyName, domain: row.domain, settings: row.settings },
  }
}

/** Stores a new key for `companyId` and returns its id with the secret, which is never readable again. */
export async function insertKey(
  db: Kysely<Database>,
  companyId: number,
  key: { name: string; scopes: string[]; contactEmail?: string | undefined },
): Promise<{ id: number; secret: string; createdAt: Date }> {
  const secret = generateSecret()
  const row = await db
    .insertInto('api_keys')
    .values({
      company_id: companyId,
      name: key.name,
      key_hash: hashKey(secret),
      key_prefix: secret.slice(0, 6),
      scopes: key.scopes,
      contact_email: key.contactEmail ?? null,
    })
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow()
  return { id: row.id, secret, createdAt: row.created_at }
}

/** The keys of a company, secrets never included. */
export function listKeys(db: Kysely<Database>, companyId: number) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'key_prefix', 'scopes', 'contact_email', 'created_at', 'revoked_at'])
    .where('company_id', '=', companyId)
    .orderBy('id')
    .execute()
}

/** Revokes a key of `companyId` (again: a no-op); false when there is no such key. A trigger notifies every process. */
export async function revokeKey(db: Kysely<Database>, companyId: number, keyId: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, ${now})` })
    .where('company_id', '=', companyId)
    .where('id', '=', keyId)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}
