import type { Transaction } from 'kysely'
import type { Carrier, OutgoingMessage } from '../../carriers/carrier.ts'
import type { QuietHoursResult } from '../../compliance/quiet-hours.ts'
import type { Database } from '../../db/schema.ts'
import {
  gateFrequency,
  gateMessage,
  needsFrequencyCheck,
  recipientOf,
  type GateResult,
} from './dispatch-gate.ts'
import {
  claimDueMessages,
  loadCompanies,
  lockFrequency,
  recentDispatches,
  writeOutcomes,
  type ClaimedMessage,
  type Outcome,
} from './dispatch.queries.ts'
import { markFailed, markSent } from './receipts.service.ts'
import { messagingSettings, type MessagingSettings } from './settings.ts'

const DAY_MS = 24 * 3_600_000

/** Companies' messaging settings by id, as a claim reads them (loadCompanies, or a cache of it). */
export type SettingsSource = (
  tx: Transaction<Database>,
  companyIds: number[],
) => Promise<Map<number, MessagingSettings>>

/** Reads settings fresh for every claim. */
export const freshSettings: SettingsSource = async (tx, ids) => {
  const rows = await loadCompanies(tx, ids)
  return new Map([...rows].map(([id, row]) => [id, messagingSettings(row.settings)]))
}

/**
 * Settings kept for `ttlMs` per dispatcher: a claim per batch would otherwise read the companies table on the
 * path of every message's latency. A change of a company's countries or cap applies within `ttlMs`.
 */
export function cachedSettings(ttlMs: number): SettingsSource {
  const cache = new Map<number, { settings: MessagingSettings; until: number }>()
  return async (tx, ids) => {
    const now = performance.now()
    const missing = ids.filter((id) => (cache.get(id)?.until ?? 0) <= now)
    if (missing.length > 0) {
      for (const [id, settings] of await freshSettings(tx, missing))
        cache.set(id, { settings, until: now + ttlMs })
    }
    return new Map(
      ids.flatMap((id) => {
        const hit = cache.get(id)
        return hit ? [[id, hit.settings] as const] : []
      }),
    )
  }
}

/** How a dispatcher runs a claim. */
export interface ClaimOptions {
  carrier: Carrier
  now: Date
  limit: number
  /** Where company settings come from. Default: read fresh (freshSettings). */
  settings?: SettingsSource | undefined
  /** How long a message handed to the carrier stays `sending` before another dispatcher reconciles it. */
  leaseMs: number
  /** Claims of one message before an unreconciled hand-off is given up as `failed`. */
  maxAttempts: number
}

/** What one claim decided: the messages to hand to the carrier now, and how many rows it claimed. */
export interface ClaimResult {
  claimed: number
  toSend: OutgoingMessage[]
}

/**
 * One claim, in the caller's transaction: claims due messages, reconciles those a dispatcher left `sending`
 * (the carrier's `lookup`: accepted ones become `sent`, never resent), decides every rule for the rest through the
 * gate, and stores each outcome. Messages to send move to `sending` with a lease; the caller hands them over after
 * this transaction commits, so a crash before the hand-off loses nothing and one after it is reconciled.
 */
export async function claimAndDecide(tx: Transaction<Database>, options: ClaimOptions): Promise<ClaimResult> {
  const { carrier, now } = options
  const claimed = await claimDueMessages(tx, now, options.limit)
  if (claimed.length === 0) return { claimed: 0, toSend: [] }
  const recovering = claimed.filter((m) => m.state === 'sending')
  const accepted =
    recovering.length > 0 ? await carrier.lookup(recovering.map((m) => m.id)) : new Map<number, string>()
  await markSent(
    tx,
    [...accepted].map(([id, providerId]) => ({ id, providerId })),
    now,
  )

  const fresh = claimed.filter((m) => !accepted.has(m.id))
  const exhausted = fresh.filter((m) => m.state === 'sending' && m.attempts >= options.maxAttempts)
  await markFailed(
    tx,
    exhausted.map((m) => ({ id: m.id, error: `not accepted by the carrier after ${m.attempts} attempts` })),
    now,
  )
  const open = fresh.filter((m) => !(m.state === 'sending' && m.attempts >= options.maxAttempts))

  const companies = await (options.settings ?? freshSettings)(tx, [...new Set(open.map((m) => m.company_id))])
  const memo = new Map<string, QuietHoursResult>()
  const decided = open.map((m) => {
    const settings = companies.get(m.company_id) ?? messagingSettings(undefined)
    const recipient = recipientOf(m.to_address, { zone: m.zone, state: m.region }, settings.timeZone)
    const consent =
      m.consent_state === null ? undefined : { state: m.consent_state, address: m.consent_address ?? '' }
    const gate = gateMessage(
      { ...m, to: m.to_address, consent, deleted: m.deleted, countries: settings.countries, recipient, now },
      memo,
    )
    return { message: m, gate, regions: recipient.regions, settings }
  })
  await capFrequency(tx, decided, now)

  const outcomes: Outcome[] = []
  const toSend: OutgoingMessage[] = []
  const leaseEnd = new Date(now.getTime() + options.leaseMs)
  for (const { message: m, gate } of decided) {
    outcomes.push(outcomeOf(m, gate, now, leaseEnd, carrier.senderFor(m.company_id)))
    if (gate.action === 'send') {
      toSend.push({
        id: m.id,
        companyId: m.company_id,
        to: m.to_address,
        from: carrier.senderFor(m.company_id),
        body: m.body,
        mediaUrl: m.media_url,
        segments: m.segments,
      })
    }
  }
  await writeOutcomes(tx, outcomes, now)
  return { claimed: claimed.length, toSend }
}

function personIdsOf(messages: ClaimedMessage[]): number[] {
  return [...new Set(messages.flatMap((m) => (m.person_id === null ? [] : [m.person_id])))]
}

type Decided = { message: ClaimedMessage; gate: GateResult; regions: string[]; settings: MessagingSettings }

/**
 * The frequency caps, for marketing messages still going: the company is locked (lockFrequency) before its people's
 * recent dispatches are counted, and the lock holds until this claim commits its `sending` rows, so concurrent
 * dispatchers count each other's sends. Messages of one person in this batch are decided in order, each counting
 * the ones before it.
 */
async function capFrequency(tx: Transaction<Database>, decided: Decided[], now: Date): Promise<void> {
  const checked = decided.filter(
    (d) => d.gate.action === 'send' && needsFrequencyCheck(d.message) && d.message.person_id !== null,
  )
  if (checked.length === 0) return
  const people = personIdsOf(checked.map((d) => d.message))
  await lockFrequency(tx, [...new Set(checked.map((d) => d.message.company_id))])
  const longest = Math.max(DAY_MS, ...checked.map((d) => (d.settings.cap ? d.settings.cap.windowMs : 0)))
  const sent = await recentDispatches(tx, people, new Date(now.getTime() - longest))
  for (const d of checked) {
    const person = d.message.person_id as number
    const times = sent.get(person) ?? []
    d.gate = gateFrequency({
      sent: times,
      now,
      cap: d.settings.cap,
      skipFatigue: d.message.skip_fatigue,
      regions: d.regions,
    })
    if (d.gate.action === 'send') sent.set(person, [...times, now])
  }
}

function outcomeOf(m: ClaimedMessage, gate: GateResult, now: Date, leaseEnd: Date, from: string): Outcome {
  switch (gate.action) {
    case 'send':
      return {
        id: m.id,
        state: 'sending',
        dueAt: leaseEnd,
        dispatchedAt: now,
        from,
        ...(m.state === 'sending' ? { detail: { recovered: true } } : {}),
      }
    case 'hold':
      return {
        id: m.id,
        state: 'held',
        holdUntil: gate.until,
        dueAt: gate.until,
        detail: { reason: 'quiet_hours', until: gate.until.toISOString() },
      }
    case 'suppress':
      return {
        id: m.id,
        state: 'suppressed',
        reason: gate.reason,
        dueAt: null,
        detail: { reason: gate.reason, ...(gate.rule ? { rule: gate.rule } : {}) },
      }
  }
}
