import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { identifierRows, resolveUser, type UserIdentifiers } from '../users/identity.service.ts'

/** The person of one event to store: its company and identifiers. */
export interface EventPersonRef {
  companyId: number
  ids: UserIdentifiers
}

interface Found {
  userId: number
  mergedIntoId: number | null
}

/**
 * The profile of each event, in order. Most events name someone already known by every identifier sent, so one
 * statement looks up the identifiers of the whole batch; those rows are locked FOR KEY SHARE, the lock a merge's
 * FOR UPDATE waits for (as resolveUser's FOR SHARE, but without blocking other key-share lockers), so a
 * merge running meanwhile moves this transaction's rows after it commits. Everyone else (a new identifier, a new
 * person, identifiers naming two profiles, a merged profile) goes through resolveUser one by one, which takes the
 * identifier locks, creates, links and merges.
 */
export async function resolveEventUsers(
  tx: Transaction<Database>,
  people: EventPersonRef[],
  now: Date,
): Promise<number[]> {
  const rowsOf = people.map((person) => identifierRows(person.ids))
  const keyOf = (companyId: number, row: { kind: string; name: string; key: string }) =>
    `${companyId}\u0000${row.kind}\u0000${row.name}\u0000${row.key}`
  const wanted = new Map<string, { companyId: number; kind: string; name: string; key: string }>()
  people.forEach((person, index) => {
    for (const row of rowsOf[index] ?? []) wanted.set(keyOf(person.companyId, row), { companyId: person.companyId, ...row })
  })
  const lookups = [...wanted.values()]
  const result = await sql<Found & { companyId: number; kind: string; name: string; key: string }>`
    select w.company_id as "companyId", w.kind, w.name, w.value_key as key, u.id as "userId",
           u.merged_into_id as "mergedIntoId"
    from unnest(${lookups.map((l) => l.companyId)}::bigint[], ${lookups.map((l) => l.kind)}::text[],
                ${lookups.map((l) => l.name)}::text[], ${lookups.map((l) => l.key)}::text[])
      as w (company_id, kind, name, value_key)
    join user_identifiers i
      on i.company_id = w.company_id and i.kind = w.kind and i.name = w.name and i.value_key = w.value_key
    join users u on u.id = i.user_id
    for key share of u
  `.execute(tx)
  const found = new Map<string, Found>(result.rows.map((row) => [keyOf(row.companyId, row), row]))

  const userIds: number[] = []
  // Within one batch the same unknown person often appears several times: resolve each identifier set once.
  const resolvedHere = new Map<string, number>()
  const survivorOf = new Map<number, number>()
  for (const [index, person] of people.entries()) {
    const rows = rowsOf[index] ?? []
    const hits = rows.map((row) => found.get(keyOf(person.companyId, row)))
    const first = hits[0]
    const known =
      first !== undefined &&
      first.mergedIntoId === null &&
      hits.every((hit) => hit !== undefined && hit.userId === first.userId && hit.mergedIntoId === null)
    if (known) {
      userIds.push(first.userId)
      continue
    }
    const signature = rows.map((row) => keyOf(person.companyId, row)).sort().join('\u0001')
    let userId = resolvedHere.get(signature)
    if (userId === undefined) {
      const resolved = await resolveUser(tx, person.companyId, person.ids, now)
      for (const merged of resolved.mergedFrom) survivorOf.set(merged, resolved.userId)
      userId = resolved.userId
      resolvedHere.set(signature, userId)
    }
    userIds.push(userId)
  }
  // A later event of the batch may have merged the profile an earlier one resolved to; its rows are not written
  // yet, so they go to the survivor directly.
  return survivorOf.size === 0 ? userIds : userIds.map((id) => follow(survivorOf, id))
}

function follow(survivorOf: Map<number, number>, id: number): number {
  let current = id
  for (let next = survivorOf.get(current); next !== undefined; next = survivorOf.get(current)) current = next
  return current
}
