import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { applyConsentChanges, type ConsentChange } from './consent-changes.ts'
import { deleteConsents, findConsents, lockConsents, type ConsentRow } from './consent.queries.ts'

function sameAddress(a: ConsentRow, b: ConsentRow): boolean {
  return a.channel === 'EMAIL' ? a.address.toLowerCase() === b.address.toLowerCase() : a.address === b.address
}

/**
 * The consent rule of a merge, per channel × type: an opt-out on either side survives; a consent only the other
 * profile had moves over as it was; where both have one, the survivor's stands, except that the other's
 * confirmed opt-in of the same address confirms the survivor's pending one. A merge never creates consent: every
 * resulting opt-in is one the person gave, for that address. Each change is a `merge` row in the survivor's
 * ledger; the other profile's ledger stays as written. Returns the decisions for `user_merges.details`.
 */
export async function mergeConsents(
  tx: Transaction<Database>,
  companyId: number,
  survivorId: number,
  otherId: number,
  now: Date,
): Promise<Array<{ channel: string; type: string; from: string | null; to: string }>> {
  await lockConsents(tx, [survivorId, otherId])
  const survivor = await findConsents(tx, companyId, survivorId)
  const other = await findConsents(tx, companyId, otherId)
  const actor = { kind: 'merge' as const, id: String(otherId) }
  const changes: ConsentChange[] = []
  for (const theirs of other) {
    const ours = survivor.find((r) => r.channel === theirs.channel && r.type === theirs.type)
    const base = { channel: theirs.channel, type: theirs.type, reason: 'merge', actor }
    if (!ours) {
      changes.push({
        ...base,
        address: theirs.address,
        previous: null,
        state: theirs.state,
        rowSignUpSourceId: theirs.sign_up_source_id,
        signUpSourceId: theirs.sign_up_source_id,
        announce: false,
      })
    } else if (theirs.state === 'UNSUBSCRIBED' && ours.state !== 'UNSUBSCRIBED') {
      changes.push({
        ...base,
        address: ours.address,
        previous: ours.state,
        state: 'UNSUBSCRIBED',
        rowSignUpSourceId: ours.sign_up_source_id,
      })
    } else if (theirs.state === 'SUBSCRIBED' && ours.state === 'PENDING' && sameAddress(ours, theirs)) {
      changes.push({
        ...base,
        address: ours.address,
        previous: 'PENDING',
        state: 'SUBSCRIBED',
        rowSignUpSourceId: theirs.sign_up_source_id,
        signUpSourceId: theirs.sign_up_source_id,
        announce: false,
      })
    }
  }
  await deleteConsents(tx, companyId, otherId)
  await applyConsentChanges(tx, companyId, survivorId, changes, now)
  return changes.map((c) => ({ channel: c.channel, type: c.type, from: c.previous, to: c.state }))
}
