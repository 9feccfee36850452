import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import {
  findIdentifiers,
  followMerges,
  insertUserWithIdentifiers,
  linkIdentifiers,
  lockIdentifiers,
  type IdentifierRow,
} from './identity.queries.ts'
import { mergeUsers } from './merge.service.ts'

export { mergeUsers }

/**
 * What names a person. Values are already validated: `phone` is E.164 (compliance/phone.ts), `email` trimmed
 * (compliance/email.ts); the other ids are free-form strings, case-sensitive.
 */
export interface UserIdentifiers {
  phone?: string | undefined
  email?: string | undefined
  clientUserId?: string | undefined
  shopifyId?: string | undefined
  klaviyoId?: string | undefined
  customIdentifiers?: Array<{ name: string; value: string }> | undefined
}

/** What `resolveUser` did: the profile, whether it is new, and which profiles were merged into it. */
export interface ResolvedUser {
  userId: number
  created: boolean
  mergedFrom: number[]
}

/** The identifiers as rows to match and store, without duplicates. */
export function identifierRows(ids: UserIdentifiers): IdentifierRow[] {
  const rows: IdentifierRow[] = []
  const add = (kind: IdentifierRow['kind'], value: string | undefined, name = '', key = value) => {
    if (value === undefined || value === '' || key === undefined) return
    if (rows.some((r) => r.kind === kind && r.name === name && r.key === key)) return
    rows.push({ kind, name, value, key })
  }
  add('phone', ids.phone)
  add('email', ids.email, '', ids.email?.toLowerCase())
  add('client_user_id', ids.clientUserId)
  add('shopify_id', ids.shopifyId)
  add('klaviyo_id', ids.klaviyoId)
  for (const custom of ids.customIdentifiers ?? []) add('custom', custom.value, custom.name)
  return rows
}

/**
 * Finds the profile these identifiers name, creating one (with no consent) when none is known, and links every
 * identifier it did not have yet. When the identifiers name two or more profiles, they are one person: the
 * others are merged into the oldest (mergeUsers), which keeps an opt-out from any side and never creates
 * consent. Data sent earlier for any of the identifiers thus ends on one profile.
 */
export async function resolveUser(
  tx: Transaction<Database>,
  companyId: number,
  ids: UserIdentifiers,
  now: Date,
): Promise<ResolvedUser> {
  const rows = identifierRows(ids)
  if (rows.length === 0) throw new Error('resolveUser: no identifier given')
  await lockIdentifiers(tx, companyId, rows)
  const found = await findIdentifiers(tx, companyId, rows, true)
  if (found.length === 0) {
    return {
      userId: await insertUserWithIdentifiers(tx, companyId, rows, now),
      created: true,
      mergedFrom: [],
    }
  }
  const live = new Set<number>()
  for (const row of found)
    live.add(row.mergedIntoId === null ? row.userId : await followMerges(tx, companyId, row.userId))
  // Survivor = the oldest profile; ids grow with creation, so the smallest id is the oldest.
  const [survivor, ...others] = [...live].sort((a, b) => a - b)
  if (survivor === undefined) throw new Error('resolveUser: no live profile')
  for (const other of others)
    await mergeUsers(tx, companyId, survivor, other, now, 'identifiers named both profiles')
  const known = new Set(found.map((row) => `${row.kind}\u0000${row.name}\u0000${row.key}`))
  await linkIdentifiers(
    tx,
    companyId,
    survivor,
    rows.filter((r) => !known.has(`${r.kind}\u0000${r.name}\u0000${r.key}`)),
    now,
  )
  return { userId: survivor, created: false, mergedFrom: others }
}

/**
 * The live profile these identifiers name, without creating or linking anything (reads such as eligibility).
 * When they name several profiles (not linked yet), the oldest is answered.
 */
export async function findUserId(
  db: Kysely<Database>,
  companyId: number,
  ids: UserIdentifiers,
): Promise<number | undefined> {
  const rows = identifierRows(ids)
  if (rows.length === 0) return undefined
  const found = await findIdentifiers(db, companyId, rows, false)
  const live = found.map((row) => row.mergedIntoId ?? row.userId).sort((a, b) => a - b)
  return live[0]
}
