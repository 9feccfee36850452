/** The answer of a frequency check: send now, or wait until `releaseAt`, when an older send leaves the window. */
export type FrequencyResult =
  { ok: true } | { ok: false; reason: 'frequency_cap'; rule: string; releaseAt: Date }

const HOUR = 3_600_000

/**
 * The company default, matching Attentive's Smart Sending: at most one marketing message per subscriber in any
 * 8 hours. Attentive's help center gives 8 hours as the default period (an older settings page said 12);
 * companies change both numbers, and `skipFatigue` bypasses it per send.
 */
export const SMART_SENDING_DEFAULT = { limit: 1, windowMs: 8 * HOUR } as const

/**
 * State caps on marketing messages per person (COMPLIANCE.md §1.8): Florida and Maryland allow 3 per 24 hours
 * on the same subject, Oklahoma 3 per 24 hours. Every marketing message of one company counts as the same
 * subject (a brand's promotions are one subject, and counting more is the safe side). Law, so `skipFatigue`
 * does not bypass them.
 */
export const STATE_FREQUENCY_CAPS: Record<string, { limit: number; windowMs: number }> = {
  FL: { limit: 3, windowMs: 24 * HOUR },
  MD: { limit: 3, windowMs: 24 * HOUR },
  OK: { limit: 3, windowMs: 24 * HOUR },
}

// At most `limit` sends in any window of `windowMs` ending now. Sends stamped after `now` (a concurrent sender
// with a slightly faster clock) count too. When full, the next send may go once enough of the oldest ones in the
// window have aged out: the (count − limit + 1)-th oldest leaves it at its time + windowMs.
function cap(sent: Date[], now: Date, limit: number, windowMs: number, rule: string): FrequencyResult {
  if (limit === Number.POSITIVE_INFINITY) return { ok: true }
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`frequency limit must be a whole number ≥ 1, got ${limit}`)
  const since = now.getTime() - windowMs
  const inWindow = sent
    .map((date) => date.getTime())
    .filter((time) => time > since)
    .sort((a, b) => a - b)
  if (inWindow.length < limit) return { ok: true }
  const leaving = inWindow[inWindow.length - limit]!
  return { ok: false, reason: 'frequency_cap', rule, releaseAt: new Date(leaving + windowMs) }
}

/**
 * The company's frequency cap ("smart sending"): with `limit` marketing messages already sent to this person in
 * the `windowMs` before `now`, the next waits until the oldest of them leaves the window. `skipFatigue` (a send
 * option, as in Attentive's API) bypasses it; `limit: Infinity` turns it off. Transactional sends never call it.
 */
export function frequencyCap(input: {
  sentInWindow: Date[]
  now: Date
  limit: number
  windowMs: number
  skipFatigue: boolean
}): FrequencyResult {
  if (input.skipFatigue) return { ok: true }
  return cap(input.sentInWindow, input.now, input.limit, input.windowMs, 'smart_sending')
}

/**
 * The state caps for a recipient whose area code or profile places them in `regions`: pass the marketing sends
 * of the last 24 hours. Applies whatever `skipFatigue` says; when several states apply, the latest release wins.
 */
export function stateFrequencyCap(input: {
  regions: string[]
  sentInWindow: Date[]
  now: Date
}): FrequencyResult {
  let result: FrequencyResult = { ok: true }
  for (const region of input.regions) {
    const rule = STATE_FREQUENCY_CAPS[region]
    if (!rule) continue
    const verdict = cap(input.sentInWindow, input.now, rule.limit, rule.windowMs, `state:${region}`)
    if (!verdict.ok && (result.ok || verdict.releaseAt > result.releaseAt)) result = verdict
  }
  return result
}
