import type { ConsentState } from '../../compliance/keywords.ts'
import { OPT_IN_REQUEST_TTL_MS } from '../subscriptions/consent.service.ts'
import type { ConsentState as StoredState } from '../subscriptions/consents.schema.ts'

/** A repeated STOP that ends nothing gets a confirmation only if none went to the number within this window. */
export const OPT_OUT_CONFIRMATION_WINDOW_MS = 24 * 60 * 60 * 1000

/** A consent row as the inbound handler reads it. */
export interface TextConsent {
  channel: 'TEXT' | 'EMAIL'
  type: 'MARKETING' | 'TRANSACTIONAL'
  state: StoredState
  address: string
  sign_up_source_id: string | null
  changed_at: Date
}

/**
 * Where the sender stands on TEXT for this very number. A "Reply Y" prompt older than 30 days has lapsed
 * (COMPLIANCE.md §1.4) and counts as nothing. An opt-out counts only for a type the number once subscribed to
 * (`optedInBefore`): a STOP from a stranger leaves a suppression, and a later START from them is not a
 * re-subscription, because they never saw a call to action's disclosures. A pending prompt comes first, so "Y"
 * confirms it even when another type is unsubscribed; an opt-out comes before a subscription, so START brings
 * back the type that was ended.
 */
export function textConsentState(
  rows: readonly TextConsent[],
  address: string,
  optedInBefore: ReadonlySet<string>,
  now: Date,
): ConsentState {
  const mine = rows.filter((row) => row.channel === 'TEXT' && row.address === address)
  const since = now.getTime() - OPT_IN_REQUEST_TTL_MS
  if (mine.some((row) => row.state === 'PENDING' && row.changed_at.getTime() >= since))
    return 'pending_double_opt_in'
  if (mine.some((row) => row.state === 'UNSUBSCRIBED' && optedInBefore.has(row.type))) return 'unsubscribed'
  if (mine.some((row) => row.state === 'SUBSCRIBED')) return 'subscribed'
  return 'none'
}

/** The types a START brings back: those the number opted out of after once being subscribed to them. */
export function typesToResubscribe(
  rows: readonly TextConsent[],
  address: string,
  optedInBefore: ReadonlySet<string>,
): Array<'MARKETING' | 'TRANSACTIONAL'> {
  return rows
    .filter((row) => row.channel === 'TEXT' && row.address === address && row.state === 'UNSUBSCRIBED')
    .filter((row) => optedInBefore.has(row.type))
    .map((row) => row.type)
    .sort()
}

/**
 * The consent type a STOP ends. With revoke-all on (the default, COMPLIANCE.md §1.7) every type; with it off the
 * marketing one, unless the sender has no live marketing consent: then the STOP can only mean the other texts,
 * and ends everything.
 */
export function optOutScope(
  rows: readonly TextConsent[],
  address: string,
  revokeAll: boolean,
): { type: 'MARKETING' | undefined; scope: 'all' | 'marketing' } {
  if (revokeAll) return { type: undefined, scope: 'all' }
  const liveMarketing = rows.some(
    (row) =>
      row.channel === 'TEXT' &&
      row.address === address &&
      row.type === 'MARKETING' &&
      (row.state === 'SUBSCRIBED' || row.state === 'PENDING'),
  )
  return liveMarketing ? { type: 'MARKETING', scope: 'marketing' } : { type: undefined, scope: 'all' }
}

function brand(companyName: string): string {
  const name = companyName.replace(/\s+/g, ' ').trim()
  return name === '' ? '' : `${name}: `
}

function closing(contact: string | undefined): string {
  const help = contact?.trim()
  return `Msg frequency varies. Msg & data rates may apply.${help ? ` Help: ${help}.` : ''} Reply HELP for help, STOP to cancel.`
}

/** The welcome after a confirmed double opt-in when no sign-up source text is at hand (COMPLIANCE.md §1.3). */
export function welcomeConfirmation(companyName: string, supportContact?: string): string {
  return `${brand(companyName)}You're in! ${closing(supportContact)}`
}

/**
 * The reply to START/UNSTOP (or YES) after an opt-out when the consent names no sign-up source whose welcome
 * could be sent: a confirmation like a welcome (COMPLIANCE.md §1.3, §1.6): brand, that texts resume, frequency,
 * rates, HELP and STOP, and the support contact when the company has one.
 */
export function resubscribeConfirmation(companyName: string, supportContact?: string): string {
  return `${brand(companyName)}You are resubscribed and will receive texts again. ${closing(supportContact)}`
}
