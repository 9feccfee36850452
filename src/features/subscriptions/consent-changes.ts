import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { recordDomainEvents, type NewDomainEvent } from '../domain-events/domain-events.queries.ts'
import { listIdentifiers } from '../users/identity.queries.ts'
import { insertLedger, upsertConsents } from './consent.queries.ts'
import type { ActorKind, Channel, ConsentState, ConsentType } from './consents.schema.ts'

/** Who changed a consent: an API key (its id), the subscriber's keyword (its text), an operator, an import. */
export interface ConsentActor {
  kind: ActorKind
  id?: string | null | undefined
}

/** Where and how a consent was given, for the ledger (COMPLIANCE.md §1.9); every field is optional. */
export interface ConsentEvidence {
  ip?: string | undefined
  userAgent?: string | undefined
  /** The phone or email as the request wrote it ("7707651750"). */
  addressAsGiven?: string | undefined
  /** The message whose reply made the change (the "Y", START or STOP). */
  messageId?: string | undefined
}

/** How webhooks name the origin of a subscription (ATTENTIVE_API.md §4.2 `creative`). */
export interface Creative {
  name: string
  type: string
  subtype: string
}

/** One consent of one profile moving from `previous` to `state`. */
export interface ConsentChange {
  channel: Channel
  type: ConsentType
  address: string
  previous: ConsentState | null
  state: ConsentState
  reason: string
  actor: ConsentActor
  /** The source the consent row names after the change (an opt-out keeps the one it had). */
  rowSignUpSourceId: string | null
  /** The source and disclosure version shown for this change (opt-ins). */
  signUpSourceId?: string | null | undefined
  disclosureVersion?: number | null | undefined
  evidence?: ConsentEvidence | undefined
  creative?: Creative | undefined
  /** Record the sms/email.(un)subscribed domain event. Default: when the change is into SUBSCRIBED, or into
   *  UNSUBSCRIBED from a live consent. A merge moving an existing opt-in announces nothing. */
  announce?: boolean | undefined
  /** Extra fields for the domain event (e.g. whether an opt-out confirmation is wanted). */
  eventFields?: Record<string, unknown> | undefined
}

const PREFIX: Record<Channel, string> = { TEXT: 'sms', EMAIL: 'email' }

function announces(change: ConsentChange): boolean {
  if (change.announce !== undefined) return change.announce
  if (change.state === 'SUBSCRIBED') return change.previous !== 'SUBSCRIBED'
  if (change.state === 'UNSUBSCRIBED')
    return change.previous === 'SUBSCRIBED' || change.previous === 'PENDING'
  return false
}

/**
 * Writes consent changes of one profile: the current rows, their ledger entries, and the domain events named as
 * Attentive's webhooks (`sms.subscribed`, `email.unsubscribed`, ...), all in the caller's transaction. The
 * caller holds the profile's consent lock (lockConsents).
 */
export async function applyConsentChanges(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
  changes: ConsentChange[],
  now: Date,
): Promise<void> {
  if (changes.length === 0) return
  await upsertConsents(
    tx,
    changes.map((c) => ({
      company_id: companyId,
      user_id: userId,
      channel: c.channel,
      type: c.type,
      state: c.state,
      address: c.address,
      sign_up_source_id: c.rowSignUpSourceId,
      created_at: now,
      changed_at: now,
    })),
  )
  await insertLedger(
    tx,
    changes.map((c) => ({
      company_id: companyId,
      user_id: userId,
      channel: c.channel,
      type: c.type,
      address: c.address,
      address_as_given: c.evidence?.addressAsGiven ?? null,
      previous_state: c.previous,
      new_state: c.state,
      reason: c.reason,
      actor_kind: c.actor.kind,
      actor_id: c.actor.id ?? null,
      sign_up_source_id: c.signUpSourceId ?? null,
      disclosure_version: c.disclosureVersion ?? null,
      ip: c.evidence?.ip ?? null,
      user_agent: c.evidence?.userAgent?.slice(0, 1000) ?? null,
      message_id: c.evidence?.messageId ?? null,
      occurred_at: now,
    })),
  )
  const announced = changes.filter(announces)
  if (announced.length === 0) return
  const subscriber = await subscriberOf(tx, companyId, userId)
  const events: NewDomainEvent[] = announced.map((c) => ({
    companyId,
    userId,
    type: `${PREFIX[c.channel]}.${c.state === 'SUBSCRIBED' ? 'subscribed' : 'unsubscribed'}`,
    occurredAt: now,
    payload: {
      subscriber: { ...subscriber, ...(c.channel === 'TEXT' ? { phone: c.address } : { email: c.address }) },
      subscription: { type: c.type, channel: c.channel },
      ...(c.creative ? { creative: c.creative } : {}),
      ...(c.signUpSourceId ? { signUpSourceId: c.signUpSourceId } : {}),
      actor: { kind: c.actor.kind, id: c.actor.id ?? null },
      reason: c.reason,
      ...c.eventFields,
    },
  }))
  await recordDomainEvents(tx, events)
}

/**
 * The subscriber block of a webhook payload (ATTENTIVE_API.md §4.2): the profile id, its newest phone and
 * email, and its external identifiers as lists (custom ones grouped by name), present only when it has them.
 */
export async function subscriberOf(tx: Transaction<Database>, companyId: number, userId: number) {
  const identifiers = await listIdentifiers(tx, companyId, userId)
  const newest = (kind: string) => identifiers.filter((i) => i.kind === kind).at(-1)?.value
  const external: Record<string, unknown> = {}
  const lists: Array<[string, string]> = [
    ['client_user_id', 'clientUserId'],
    ['shopify_id', 'shopifyId'],
    ['klaviyo_id', 'klaviyoId'],
  ]
  for (const [kind, key] of lists) {
    const values = identifiers.filter((i) => i.kind === kind).map((i) => i.value)
    if (values.length > 0) external[key] = values
  }
  const custom: Record<string, string[]> = {}
  for (const i of identifiers.filter((i) => i.kind === 'custom')) (custom[i.name] ??= []).push(i.value)
  if (Object.keys(custom).length > 0) external.customIdentifiers = custom
  const phone = newest('phone')
  const email = newest('email')
  return {
    userId,
    ...(phone !== undefined ? { phone } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(Object.keys(external).length > 0 ? { externalIdentifiers: external } : {}),
  }
}
