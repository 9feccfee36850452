import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { mergeAttributes } from '../attributes/attributes-merge.ts'
import { recordDomainEvents } from '../domain-events/domain-events.queries.ts'
import { mergeConsents } from '../subscriptions/consent-merge.ts'
import { moveUserRows, userTables } from './merge.queries.ts'

/** A table whose rows cannot simply be moved, with the rule that folds `otherId`'s rows into the survivor's. */
export type MergeRule = (
  tx: Transaction<Database>,
  companyId: number,
  survivorId: number,
  otherId: number,
  now: Date,
) => Promise<unknown>

// Tables needing more than a move: consent (an opt-out on either side survives, nothing is created) and
// attributes (newest value wins per name). Their rules live with the features that own the tables.
const rules: Record<string, MergeRule> = { consents: mergeConsents, user_attributes: mergeAttributes }

/**
 * Folds profile `otherId` into `survivorId`: every row of every table with a `user_id` column moves to the
 * survivor (tables are found in the catalogue, so ones added later are covered), except append-only history,
 * which stays under the id it was written with and is read through `users.merged_into_id`. Consent and
 * attributes follow their own rules. `otherId` keeps its row, marked merged, and the merge is recorded in
 * `user_merges` and as a `user.merged` domain event.
 */
export async function mergeUsers(
  tx: Transaction<Database>,
  companyId: number,
  survivorId: number,
  otherId: number,
  now: Date,
  reason: string,
): Promise<void> {
  if (survivorId === otherId) return
  const locked = await tx
    .selectFrom('users')
    .select(['id', 'merged_into_id'])
    .where('company_id', '=', companyId)
    .where('id', 'in', [survivorId, otherId])
    .orderBy('id')
    .forUpdate()
    .execute()
  if (locked.length !== 2 || locked.some((row) => row.merged_into_id !== null)) {
    throw new Error(
      `mergeUsers: users ${survivorId} and ${otherId} are not two live profiles of company ${companyId}`,
    )
  }
  const details: Record<string, unknown> = {}
  const moved: Record<string, number> = {}
  const tables = await userTables(tx)
  // Plain moves first, so that the rules (which announce consent changes) see the merged identifiers.
  for (const table of tables.filter((t) => !rules[t.name] && !t.appendOnly)) {
    const count = await moveUserRows(tx, table, companyId, survivorId, otherId)
    if (count > 0) moved[table.name] = count
  }
  for (const table of tables) {
    const rule = rules[table.name]
    if (rule) details[table.name] = await rule(tx, companyId, survivorId, otherId, now)
  }
  await tx
    .updateTable('users')
    .set({ merged_into_id: survivorId, updated_at: now })
    .where('company_id', '=', companyId)
    .where((eb) => eb.or([eb('id', '=', otherId), eb('merged_into_id', '=', otherId)]))
    .execute()
  await tx.updateTable('users').set({ updated_at: now }).where('id', '=', survivorId).execute()
  await tx
    .insertInto('user_merges')
    .values({
      company_id: companyId,
      survivor_id: survivorId,
      merged_id: otherId,
      reason,
      details: JSON.stringify({ moved, ...details }),
      merged_at: now,
    })
    .execute()
  await recordDomainEvents(tx, [
    {
      companyId,
      type: 'user.merged',
      userId: survivorId,
      payload: { userId: survivorId, mergedUserId: otherId, reason },
      occurredAt: now,
      triggers: false,
    },
  ])
}

/** The ids whose append-only history belongs to `userId`: itself and every profile merged into it. */
export async function historyIds(db: Kysely<Database>, companyId: number, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('company_id', '=', companyId)
    .where('merged_into_id', '=', userId)
    .execute()
  return [userId, ...rows.map((row) => row.id)]
}
