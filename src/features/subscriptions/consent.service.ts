import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { followMerges } from '../users/identity.queries.ts'
import {
  applyConsentChanges,
  type ConsentActor,
  type ConsentChange,
  type ConsentEvidence,
  type Creative,
} from './consent-changes.ts'
import { findConsent, findConsents, lockConsents, type ConsentRow } from './consent.queries.ts'
import type { Channel, ConsentState, ConsentType } from './consents.schema.ts'

export type { ConsentActor, ConsentEvidence }

/** Both consent types, in the order responses list them. */
export const CONSENT_TYPES: ConsentType[] = ['MARKETING', 'TRANSACTIONAL']

/** A "Reply Y" prompt is answered within 30 days or lapses; the person then signs up again (COMPLIANCE.md §1.4). */
export const OPT_IN_REQUEST_TTL_MS = 30 * 24 * 60 * 60 * 1000

/** What one consent went through: its state before and after (equal when nothing changed). */
export interface ConsentOutcome {
  channel: Channel
  type: ConsentType
  previous: ConsentState | null
  state: ConsentState
}

/** The current consent of a profile (followed through merges), or undefined when there is no record. */
export async function currentConsent(
  db: Kysely<Database>,
  companyId: number,
  userId: number,
  channel: Channel,
  type: ConsentType,
) {
  const row = await findConsent(db, companyId, userId, channel, type)
  if (!row) return undefined
  return {
    state: row.state,
    address: row.address,
    signUpSourceId: row.sign_up_source_id,
    changedAt: row.changed_at,
  }
}

/** Locks the live profile behind `userId` and its consents; returns its id and current rows. */
export async function lockProfileConsents(tx: Transaction<Database>, companyId: number, userId: number) {
  const live = await followMerges(tx, companyId, userId)
  await lockConsents(tx, [live])
  return { userId: live, rows: await findConsents(tx, companyId, live) }
}

async function creativesOf(
  tx: Transaction<Database>,
  companyId: number,
  sourceIds: string[],
): Promise<Map<string, Creative>> {
  if (sourceIds.length === 0) return new Map()
  const rows = await tx
    .selectFrom('sign_up_sources')
    .select(['id', 'name'])
    .where('company_id', '=', companyId)
    .where('id', 'in', sourceIds)
    .execute()
  return new Map(rows.map((r) => [r.id, { name: r.name, type: 'API', subtype: 'DOUBLE_OPT_IN' }]))
}

/**
 * The subscriber replied "Y" (or YES) to a double opt-in prompt: every TEXT consent of the profile waiting for
 * it, asked for within the last 30 days, becomes SUBSCRIBED, citing the reply's message id. Nothing else can
 * turn a PENDING consent into SUBSCRIBED except a new sign-up.
 */
export async function confirmPendingOptIn(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
  options: { messageId?: string | undefined; keyword?: string | undefined; now: Date },
): Promise<ConsentOutcome[]> {
  const { userId: live, rows } = await lockProfileConsents(tx, companyId, userId)
  const since = options.now.getTime() - OPT_IN_REQUEST_TTL_MS
  const pending = rows.filter(
    (r) => r.channel === 'TEXT' && r.state === 'PENDING' && r.changed_at.getTime() >= since,
  )
  const creatives = await creativesOf(tx, companyId, [
    ...new Set(pending.flatMap((r) => r.sign_up_source_id ?? [])),
  ])
  const changes: ConsentChange[] = pending.map((r) => ({
    channel: r.channel,
    type: r.type,
    address: r.address,
    previous: 'PENDING',
    state: 'SUBSCRIBED',
    reason: 'confirm',
    actor: { kind: 'keyword', id: options.keyword ?? 'Y' },
    rowSignUpSourceId: r.sign_up_source_id,
    signUpSourceId: r.sign_up_source_id,
    evidence: { messageId: options.messageId },
    creative: r.sign_up_source_id ? creatives.get(r.sign_up_source_id) : undefined,
  }))
  await applyConsentChanges(tx, companyId, live, changes, options.now)
  return changes.map(({ channel, type, previous, state }) => ({ channel, type, previous, state }))
}

async function revokesAll(tx: Transaction<Database>, companyId: number): Promise<boolean> {
  const row = await tx
    .selectFrom('companies')
    .select('settings')
    .where('id', '=', companyId)
    .executeTakeFirst()
  return row?.settings.revokeAll ?? true
}

/** Options of `optOut`. */
export interface OptOutOptions {
  channel: Channel
  /** The type to end; absent: every type on the channel. */
  type?: ConsentType | undefined
  actor: ConsentActor
  now: Date
  /** The number or address the opt-out came from. When given, a type with no record gets an UNSUBSCRIBED row
   *  (a suppression), so a later sign-up of it goes through double opt-in. */
  address?: string | undefined
  evidence?: ConsentEvidence | undefined
  /** Extra fields for the sms/email.unsubscribed domain event. */
  eventFields?: Record<string, unknown> | undefined
}

/**
 * Ends consent, from any state. A keyword opt-out (STOP) of one type ends every type on the channel while the
 * company's `revokeAll` setting is on (the default; COMPLIANCE.md §1.7, FCC revoke-all). An API call naming a
 * type is a scoped preference the brand records, and ends only that type.
 */
export async function optOut(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
  options: OptOutOptions,
): Promise<ConsentOutcome[]> {
  const { userId: live, rows } = await lockProfileConsents(tx, companyId, userId)
  const all =
    options.type === undefined || (options.actor.kind === 'keyword' && (await revokesAll(tx, companyId)))
  const types = all ? CONSENT_TYPES : [options.type as ConsentType]
  const outcomes: ConsentOutcome[] = []
  const changes: ConsentChange[] = []
  for (const type of types) {
    const row = rows.find((r) => r.channel === options.channel && r.type === type)
    const address = options.address ?? row?.address
    if (address === undefined) continue
    if (row?.state === 'UNSUBSCRIBED') {
      outcomes.push({ channel: options.channel, type, previous: row.state, state: row.state })
      continue
    }
    const reason = row
      ? type === options.type || options.type === undefined
        ? 'unsubscribe'
        : 'revoke_all'
      : 'suppress'
    changes.push({
      channel: options.channel,
      type,
      address,
      previous: row?.state ?? null,
      state: 'UNSUBSCRIBED',
      reason,
      actor: options.actor,
      rowSignUpSourceId: row?.sign_up_source_id ?? null,
      evidence: options.evidence,
      eventFields: options.eventFields,
    })
    outcomes.push({ channel: options.channel, type, previous: row?.state ?? null, state: 'UNSUBSCRIBED' })
  }
  await applyConsentChanges(tx, companyId, live, changes, options.now)
  return outcomes
}

/** Options of `optIn`. */
export interface OptInOptions {
  channel: Channel
  /** The type to start; absent: every type the profile has a record of on the channel. */
  type?: ConsentType | undefined
  actor: ConsentActor
  now: Date
  /** The number or address the opt-in came from; default the one the record names. */
  address?: string | undefined
  signUpSourceId?: string | undefined
  evidence?: ConsentEvidence | undefined
}

/**
 * The subscriber's own opt-in (START, UNSTOP, a text-to-join keyword): the consent becomes SUBSCRIBED at once,
 * whatever it was. Only the person's own act may do this after an opt-out; API sign-ups use `subscribe`.
 */
export async function optIn(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
  options: OptInOptions,
): Promise<ConsentOutcome[]> {
  const { userId: live, rows } = await lockProfileConsents(tx, companyId, userId)
  const types =
    options.type !== undefined
      ? [options.type]
      : rows.filter((r) => r.channel === options.channel).map((r) => r.type)
  const outcomes: ConsentOutcome[] = []
  const changes: ConsentChange[] = []
  for (const type of types) {
    const row: ConsentRow | undefined = rows.find((r) => r.channel === options.channel && r.type === type)
    const address = options.address ?? row?.address
    if (address === undefined) continue
    if (row?.state === 'SUBSCRIBED' && row.address === address) {
      outcomes.push({ channel: options.channel, type, previous: row.state, state: row.state })
      continue
    }
    const source = options.signUpSourceId ?? row?.sign_up_source_id ?? null
    changes.push({
      channel: options.channel,
      type,
      address,
      previous: row?.state ?? null,
      state: 'SUBSCRIBED',
      reason: 'opt_in',
      actor: options.actor,
      rowSignUpSourceId: source,
      signUpSourceId: options.signUpSourceId,
      evidence: options.evidence,
      creative:
        options.actor.kind === 'keyword'
          ? { name: options.actor.id ?? 'START', type: 'TEXT_TO_JOIN', subtype: 'CODE' }
          : undefined,
    })
    outcomes.push({ channel: options.channel, type, previous: row?.state ?? null, state: 'SUBSCRIBED' })
  }
  await applyConsentChanges(tx, companyId, live, changes, options.now)
  return outcomes
}

/** Whether a consent may carry messages now: SUBSCRIBED, for this very address. */
export function isEligible(
  row: { state: ConsentState; address: string } | undefined,
  address: string,
  channel: Channel,
) {
  if (row?.state !== 'SUBSCRIBED') return false
  return channel === 'EMAIL' ? row.address.toLowerCase() === address.toLowerCase() : row.address === address
}
