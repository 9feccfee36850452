import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { listAttributes } from '../attributes/attributes.queries.ts'
import { findConsents, findLedger } from '../subscriptions/consent.queries.ts'
import { listIdentifiers } from './identity.queries.ts'
import { historyIds } from './merge.service.ts'

/** A user id as the API shows it (Attentive's object-id scheme, type name `User`). */
export function userObjectId(id: number): string {
  return encodeObjectId('User', id)
}

type LedgerRow = Awaited<ReturnType<typeof findLedger>>[number]

/** A ledger row as the API shows it. */
export function toApiLedgerEntry(row: LedgerRow) {
  return {
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    recordedAt: row.recorded_at.toISOString(),
    channel: row.channel,
    type: row.type,
    address: row.address,
    addressAsGiven: row.address_as_given,
    previousState: row.previous_state,
    newState: row.new_state,
    reason: row.reason,
    actor: { kind: row.actor_kind, id: row.actor_id },
    signUpSource: row.sign_up_source_id ? { id: row.sign_up_source_id, name: row.sign_up_source_name } : null,
    disclosure:
      row.disclosure_version !== null ? { version: row.disclosure_version, text: row.disclosure_text } : null,
    ip: row.ip,
    userAgent: row.user_agent,
    messageId: row.message_id,
    recordedUnder: userObjectId(row.user_id),
  }
}

async function identifiersOf(db: Kysely<Database>, companyId: number, userId: number) {
  const rows = await listIdentifiers(db, companyId, userId)
  const of = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.value)
  return {
    phones: of('phone'),
    emails: of('email'),
    clientUserIds: of('client_user_id'),
    shopifyIds: of('shopify_id'),
    klaviyoIds: of('klaviyo_id'),
    customIdentifiers: rows.filter((r) => r.kind === 'custom').map((r) => ({ name: r.name, value: r.value })),
  }
}

/** The live profile behind `userId` (a merged id leads to its survivor), or undefined if not this company's. */
export async function findLiveUser(db: Kysely<Database>, companyId: number, userId: number) {
  const row = await db
    .selectFrom('users')
    .select(['id', 'merged_into_id'])
    .where('company_id', '=', companyId)
    .where('id', '=', userId)
    .executeTakeFirst()
  if (!row) return undefined
  return db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('id', '=', row.merged_into_id ?? row.id)
    .executeTakeFirst()
}

/** Everything about a profile: identifiers, attributes, current consents and the full ledger. */
export async function loadProfile(db: Kysely<Database>, companyId: number, userId: number) {
  const user = await findLiveUser(db, companyId, userId)
  if (!user) return undefined
  const ids = await historyIds(db, companyId, user.id)
  const [identifiers, attributes, consents, ledger] = await Promise.all([
    identifiersOf(db, companyId, user.id),
    listAttributes(db, companyId, user.id),
    findConsents(db, companyId, user.id),
    findLedger(db, companyId, ids),
  ])
  return {
    id: userObjectId(user.id),
    externalId: user.id,
    identifiers,
    attributes: Object.fromEntries(attributes.map((a) => [a.name, a.value])),
    consents: consents.map((c) => ({
      channel: c.channel,
      type: c.type,
      state: c.state,
      address: c.address,
      signUpSourceId: c.sign_up_source_id,
      changedAt: c.changed_at.toISOString(),
    })),
    ledger: ledger.map(toApiLedgerEntry),
    mergedFrom: ids.slice(1).map(userObjectId),
    createdAt: user.created_at.toISOString(),
    updatedAt: user.updated_at.toISOString(),
  }
}

/**
 * The evidence of each current consent, for a brand's counsel: per channel × type, the state now and every
 * ledger row behind it (the merged profiles' rows included), each with the disclosure text shown, the source,
 * the actor, IP, user agent and confirming message; plus the merges that joined the profiles.
 */
export async function consentEvidence(db: Kysely<Database>, companyId: number, userId: number, now: Date) {
  const profile = await loadProfile(db, companyId, userId)
  if (!profile) return undefined
  const merges = await db
    .selectFrom('user_merges')
    .select(['merged_id', 'reason', 'merged_at'])
    .where('company_id', '=', companyId)
    .where('survivor_id', '=', profile.externalId)
    .orderBy('id')
    .execute()
  return {
    generatedAt: now.toISOString(),
    user: { id: profile.id, externalId: profile.externalId, identifiers: profile.identifiers },
    consents: profile.consents.map((c) => ({
      channel: c.channel,
      type: c.type,
      currentState: c.state,
      address: c.address,
      evidence: profile.ledger.filter((l) => l.channel === c.channel && l.type === c.type),
    })),
    merges: merges.map((m) => ({
      mergedUserId: userObjectId(m.merged_id),
      reason: m.reason,
      mergedAt: m.merged_at.toISOString(),
    })),
  }
}
