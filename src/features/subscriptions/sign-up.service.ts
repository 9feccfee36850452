import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { enqueue } from '../../queue/enqueue.ts'
import type { SignUpSourceRow } from '../sign-up-sources/sign-up-sources.queries.ts'
import { applyConsentChanges, type ConsentActor, type ConsentChange } from './consent-changes.ts'
import { everOptedOut, findConsents, lockConsents } from './consent.queries.ts'
import { OPT_IN_REQUEST_TTL_MS } from './consent.service.ts'
import type { Channel, ConsentState, ConsentType } from './consents.schema.ts'

/** One channel to sign up on: the address as normalised and as the request wrote it. */
export interface SignUpRequest {
  channel: Channel
  address: string
  addressAsGiven?: string | undefined
}

/** What a sign-up did per channel, with Attentive's status. */
export interface SignUpOutcome {
  channel: Channel
  type: ConsentType
  state: ConsentState
  status: 'NEWLY_CREATED' | 'PREVIOUSLY_CREATED'
}

/** Options of `signUp`. */
export interface SignUpOptions {
  requests: SignUpRequest[]
  source: SignUpSourceRow
  /** The request's `singleOptIn`: skip the "Reply Y" prompt (never for a number that once opted out). */
  singleOptIn: boolean
  /** The company's `emailDoubleOptIn` setting (default false: email is single opt-in). */
  emailDoubleOptIn: boolean
  actor: ConsentActor
  ip?: string | undefined
  userAgent?: string | undefined
  now: Date
  /** The profile was created in this transaction: no one else can see it, so it has no consent to lock or read. */
  newProfile?: boolean | undefined
}

function sameAddress(channel: Channel, a: string, b: string): boolean {
  return channel === 'EMAIL' ? a.toLowerCase() === b.toLowerCase() : a === b
}

/**
 * A sign-up through a source (the API's subscribe): each channel's consent of the source's type becomes
 * SUBSCRIBED, or PENDING with the opt-in request enqueued in this transaction when double opt-in applies: the
 * source asks for it and the request did not say singleOptIn, or the number ever opted out (ATTENTIVE_API.md
 * §2.2: only the person's own "Y" brings it back). An existing subscription for the same address, or a pending
 * one still waiting (less than 30 days), answers PREVIOUSLY_CREATED and changes nothing.
 */
export async function signUp(
  tx: Transaction<Database>,
  companyId: number,
  userId: number,
  options: SignUpOptions,
): Promise<SignUpOutcome[]> {
  const { source } = options
  let rows: Awaited<ReturnType<typeof findConsents>> = []
  if (!options.newProfile) {
    await lockConsents(tx, [userId])
    rows = await findConsents(tx, companyId, userId)
  }
  const outcomes: SignUpOutcome[] = []
  const changes: ConsentChange[] = []
  for (const request of options.requests) {
    const { channel, address } = request
    const row = rows.find((r) => r.channel === channel && r.type === source.type)
    const doubleOptIn =
      channel === 'TEXT'
        ? (source.double_opt_in && !options.singleOptIn) ||
          (await everOptedOut(tx, companyId, 'TEXT', address))
        : options.emailDoubleOptIn && !options.singleOptIn
    const same = row !== undefined && sameAddress(channel, row.address, address)
    // A prompt left unanswered for 30 days has lapsed: the new sign-up asks again.
    const waiting =
      row?.state === 'PENDING' && options.now.getTime() - row.changed_at.getTime() < OPT_IN_REQUEST_TTL_MS
    if (same && (row.state === 'SUBSCRIBED' || (waiting && doubleOptIn))) {
      outcomes.push({ channel, type: source.type, state: row.state, status: 'PREVIOUSLY_CREATED' })
      continue
    }
    const state: ConsentState = doubleOptIn ? 'PENDING' : 'SUBSCRIBED'
    changes.push({
      channel,
      type: source.type,
      address,
      previous: row?.state ?? null,
      state,
      reason: doubleOptIn ? 'double_opt_in_request' : 'subscribe',
      actor: options.actor,
      rowSignUpSourceId: source.id,
      signUpSourceId: source.id,
      disclosureVersion: source.disclosure_version,
      evidence: { ip: options.ip, userAgent: options.userAgent, addressAsGiven: request.addressAsGiven },
      creative: { name: source.name, type: 'API', subtype: doubleOptIn ? 'DOUBLE_OPT_IN' : 'DIRECT' },
    })
    outcomes.push({ channel, type: source.type, state, status: 'NEWLY_CREATED' })
  }
  await applyConsentChanges(tx, companyId, userId, changes, options.now)
  for (const change of changes.filter((c) => c.state === 'PENDING')) {
    await enqueue(tx, {
      kind: 'message.opt_in_request',
      companyId,
      payload: { userId, signUpSourceId: source.id, channel: change.channel },
    })
  }
  return outcomes
}
