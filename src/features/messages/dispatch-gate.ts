// The dispatch gate: every sending rule, decided for one message at the moment a dispatcher claims it, from
// plain data and `now`. No I/O: the dispatcher fetches the facts in bulk, asks here, and stores the answer. The
// rules themselves live in src/compliance/; this file only applies them in order.
import { countryAllowed } from '../../compliance/countries.ts'
import { frequencyCap, stateFrequencyCap } from '../../compliance/fatigue.ts'
import {
  quietHours,
  resolveRecipientZone,
  type QuietHoursResult,
  type RecipientZone,
} from '../../compliance/quiet-hours.ts'
import { isEligible } from '../subscriptions/consent.service.ts'
import type { Channel, ConsentState, ConsentType } from '../subscriptions/consents.schema.ts'
import type { MessageKind } from './messages.schema.ts'

/** Why a message was suppressed (stored in messages.suppressed_reason). */
export type SuppressReason =
  'deleted' | 'no_consent' | 'country_not_enabled' | 'invalid_number' | 'frequency_cap'

/** What to do with a claimed message. */
export type GateResult =
  | { action: 'send' }
  | { action: 'suppress'; reason: SuppressReason; rule?: string | undefined }
  | { action: 'hold'; until: Date }

/** The facts about one message the gate decides on. */
export interface GateInput {
  type: ConsentType
  channel: Channel
  /** Opt-in request, confirmation, HELP, opt-out reply: allowed without an opt-in (COMPLIANCE.md §0 rows 4-5). */
  compliance: boolean
  /** Attentive's message type; for compliance messages it tells the opt-out and HELP replies from the others. */
  kind?: MessageKind
  to: string
  /** The person's current consent of this channel and type; undefined when there is none (or no person). */
  consent: { state: ConsentState; address: string } | undefined
  /** The address is on the suppression list (a deleted person). */
  deleted: boolean
  /** The company's SMS countries. */
  countries: readonly string[]
  /** Where the recipient is presumed to be (recipientOf). */
  recipient: RecipientZone
  now: Date
}

/** The company's frequency cap, or false when off. */
export type CapSetting = { limit: number; windowMs: number } | false

/** Where the recipient is presumed to be: the profile's zone and state, else the number's area code, else the company's zone. */
export function recipientOf(
  to: string,
  profile: { zone?: string | null; state?: string | null },
  companyZone: string,
): RecipientZone {
  return resolveRecipientZone({
    profileZone: profile.zone,
    profileState: profile.state,
    phoneE164: to,
    companyZone,
  })
}

/**
 * Decides consent, suppression, country and quiet hours, in that order (the first rule that refuses names the
 * reason). Marketing messages outside every window that applies are held until the window opens: held, never
 * dropped. Transactional messages are not held. `quietMemo` caches quiet-hours answers for one `now` (a batch),
 * keyed by everything the answer depends on.
 */
export function gateMessage(input: GateInput, quietMemo?: Map<string, QuietHoursResult>): GateResult {
  if (input.compliance) return gateComplianceMessage(input)
  if (input.deleted) return { action: 'suppress', reason: 'deleted' }
  if (!isEligible(input.consent, input.to, input.channel)) return { action: 'suppress', reason: 'no_consent' }
  const country = countryAllowed(input.to, input.countries)
  if (!country.ok) return { action: 'suppress', reason: country.reason }
  const key = `${input.type}|${input.recipient.zones.join(',')}|${input.recipient.regions.join(',')}|${input.recipient.country ?? ''}`
  let quiet = quietMemo?.get(key)
  if (!quiet) {
    quiet = quietHours({ messageType: input.type, recipient: input.recipient, now: input.now })
    quietMemo?.set(key, quiet)
  }
  return quiet.ok ? { action: 'send' } : { action: 'hold', until: quiet.releaseAt }
}

/**
 * The opt-out confirmation and HELP answers always go (even to a deleted or unknown number: they are the answer to
 * the person's own text). A "Reply Y" prompt or a welcome still queued when the person opts out, or is deleted, must
 * not follow: it would message someone who just said stop.
 */
function gateComplianceMessage(input: GateInput): GateResult {
  if (input.kind === undefined || input.kind === 'OPT_OUT' || input.kind === 'HELP') return { action: 'send' }
  if (input.deleted) return { action: 'suppress', reason: 'deleted' }
  if (input.consent?.state === 'UNSUBSCRIBED') return { action: 'suppress', reason: 'no_consent' }
  return { action: 'send' }
}

/** Whether a message's frequency caps apply: marketing, not a compliance reply. */
export function needsFrequencyCheck(message: { type: ConsentType; compliance: boolean }): boolean {
  return message.type === 'MARKETING' && !message.compliance
}

/**
 * The frequency caps for a marketing message that passed gateMessage: the company's smart sending (bypassed by
 * skipFatigue, as Attentive's API does) and the state caps of FL, MD and OK (law: never bypassed). `sent` are
 * the person's marketing dispatches of the last 24 hours or the cap's window, whichever is longer. A capped
 * message is suppressed, as Attentive's smart sending skips it rather than sending it late.
 */
export function gateFrequency(input: {
  sent: Date[]
  now: Date
  cap: CapSetting
  skipFatigue: boolean
  regions: string[]
}): GateResult {
  const company = input.cap
    ? frequencyCap({ sentInWindow: input.sent, now: input.now, ...input.cap, skipFatigue: input.skipFatigue })
    : { ok: true as const }
  if (!company.ok) return { action: 'suppress', reason: 'frequency_cap', rule: company.rule }
  const state = stateFrequencyCap({ regions: input.regions, sentInWindow: input.sent, now: input.now })
  if (!state.ok) return { action: 'suppress', reason: 'frequency_cap', rule: state.rule }
  return { action: 'send' }
}
