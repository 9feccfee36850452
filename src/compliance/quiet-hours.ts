import { lookupAreaCode } from './area-codes.ts'
import { isNoSolicitationHoliday } from './holidays.ts'
import { addDays, instantAt, isTimeZone, localTime, type LocalDate } from './local-time.ts'

/** Where a recipient is presumed to be: the zones to respect, the country and the states whose laws apply. */
export type RecipientZone = {
  zones: string[]
  country: string | null
  regions: string[]
  source: 'profile' | 'area_code' | 'country' | 'company'
}

/** The answer of `quietHours`: send now, or hold until `releaseAt`, the first instant every window is open. */
export type QuietHoursResult = { ok: true } | { ok: false; reason: 'quiet_hours'; releaseAt: Date }

/** A sending window in local minutes since midnight, [start, end). */
export type Window = { start: number; end: number }
type DayRule = (date: LocalDate, region: string) => Window | null

const hours = (start: number, end: number): Window => ({ start: start * 60, end: end * 60 })
const daily =
  (start: number, end: number): DayRule =>
  () =>
    hours(start, end)
const noSundaysOrHolidays =
  (start: number, end: number): DayRule =>
  (date, region) =>
    date.weekday === 0 || isNoSolicitationHoliday(region, date) ? null : hours(start, end)
const noHolidays =
  (rule: DayRule): DayRule =>
  (date, region) =>
    isNoSolicitationHoliday(region, date) ? null : rule(date, region)

// 47 CFR 64.1200(c)(1): no telephone solicitation before 08:00 or after 21:00 at the called party's location.
// Also the default for countries with no statutory window (the UK: COMPLIANCE.md §2.1).
const FEDERAL = daily(8, 21)
// CRTC Unsolicited Telecommunications Rules, calls: 09:00–21:30 weekdays, 10:00–18:00 weekends; COMPLIANCE.md
// §2.2 calls it the sensible default for Canadian marketing texts, and it is the stricter choice.
const CANADA: DayRule = (date) =>
  date.weekday === 0 || date.weekday === 6 ? hours(10, 18) : { start: 9 * 60, end: 21 * 60 + 30 }

// State windows in the recipient's local time (COMPLIANCE.md §1.8), applied on top of the federal one.
const STATES: Record<string, DayRule> = {
  FL: daily(8, 20),
  OK: daily(8, 20),
  MD: daily(8, 20),
  WA: daily(8, 20),
  TX: (date) => (date.weekday === 0 ? hours(12, 21) : hours(9, 21)),
  CT: daily(9, 20),
  AL: noSundaysOrHolidays(8, 20),
  LA: noSundaysOrHolidays(8, 20),
  // The table lists only Sundays; the holiday note of §1.8 names Mississippi too, so both apply.
  MS: noSundaysOrHolidays(8, 20),
  KY: daily(10, 21),
  MA: daily(8, 20),
  MI: daily(9, 21),
  MN: daily(9, 21),
  NV: daily(9, 20),
  NM: daily(9, 21),
  RI: noHolidays((date) => (date.weekday === 0 || date.weekday === 6 ? hours(10, 17) : hours(9, 18))),
  NJ: daily(8, 20),
  // Sources conflict (08:00–21:00 vs 09:00–21:00): the stricter one until the statute is checked (§6).
  IL: daily(9, 21),
  // One secondary table only (autodialer statute); applied because it is stricter.
  CA: daily(9, 21),
  PA: noHolidays(FEDERAL),
  UT: noHolidays(FEDERAL),
}
// Texas sources disagree on whose clock counts (recipient's or Central): both must allow the send (§1.8 notes).
const ALSO_IN_ZONE: Record<string, string> = { TX: 'America/Chicago' }
// The single zone of a non-NANP country, used before the company's zone when the profile has none.
const COUNTRY_ZONES: Record<string, { country: string; zone: string }> = {
  '+44': { country: 'GB', zone: 'Europe/London' },
}
const US_JURISDICTIONS = new Set(['US', 'PR', 'VI', 'GU', 'MP', 'AS'])

/**
 * Presumes where a recipient is: the profile's zone when it is a valid IANA zone, else the zones of the number's
 * area code, else the zone of a single-zone country, else the company's zone. States come from the area code and
 * from `profileState`: both apply, which is the stricter of the two (Florida and Oklahoma presume residence from
 * the area code).
 */
export function resolveRecipientZone(input: {
  profileZone?: string | null
  profileState?: string | null
  phoneE164?: string | null
  companyZone: string
}): RecipientZone {
  const phone = input.phoneE164 ?? ''
  const areaCode = lookupAreaCode(phone)
  const abroad = Object.entries(COUNTRY_ZONES).find(([prefix]) => phone.startsWith(prefix))?.[1]
  const state = input.profileState?.trim().toUpperCase()
  const regions = [
    ...new Set([...(areaCode?.regions ?? []), ...(state && /^[A-Z]{2}$/.test(state) ? [state] : [])]),
  ]
  const country = areaCode?.country ?? abroad?.country ?? null
  if (input.profileZone && isTimeZone(input.profileZone)) {
    return { zones: [input.profileZone], country, regions, source: 'profile' }
  }
  if (areaCode) return { zones: areaCode.zones, country, regions, source: 'area_code' }
  if (abroad) return { zones: [abroad.zone], country, regions, source: 'country' }
  return { zones: [input.companyZone], country, regions, source: 'company' }
}

type Constraint = { zone: string; region: string; rule: DayRule }

function constraintsFor(recipient: RecipientZone, companyWindow?: Window): Constraint[] {
  const base = recipient.country === 'CA' ? CANADA : FEDERAL
  const rules: Array<{ region: string; rule: DayRule; zones: string[] }> = [
    { region: recipient.country ?? '', rule: base, zones: recipient.zones },
  ]
  if (companyWindow) rules.push({ region: '', rule: () => companyWindow, zones: recipient.zones })
  if (recipient.country === null || US_JURISDICTIONS.has(recipient.country)) {
    for (const region of recipient.regions) {
      const rule = STATES[region]
      const extraZone = ALSO_IN_ZONE[region]
      if (rule)
        rules.push({ region, rule, zones: extraZone ? [...recipient.zones, extraZone] : recipient.zones })
    }
  }
  return rules.flatMap(({ region, rule, zones }) =>
    [...new Set(zones)].map((zone) => ({ zone, region, rule })),
  )
}

// The first instant at or after `from` when this one window is open (`from` itself when open now).
function nextOpening(constraint: Constraint, from: Date): Date | null {
  const now = localTime(from, constraint.zone)
  for (let days = 0; days <= 14; days++) {
    const date = addDays(now, days)
    const window = constraint.rule(date, constraint.region)
    if (!window || window.start >= window.end) continue
    if (days > 0 || now.minutes < window.start) return instantAt(constraint.zone, date, window.start)
    if (now.minutes < window.end) return from
  }
  return null
}

/**
 * Decides whether a message may leave now. TRANSACTIONAL messages are never held. MARKETING messages must fall
 * inside every window that applies, in every zone the recipient may be in: the federal (or Canadian) window, each
 * state's window (states from the area code and the profile), and the company's own narrower window if set.
 * Otherwise the message is held until the first instant all of them are open: held, never dropped.
 */
export function quietHours(input: {
  messageType: 'MARKETING' | 'TRANSACTIONAL'
  recipient: RecipientZone
  now: Date
  companyWindow?: Window
}): QuietHoursResult {
  if (input.messageType === 'TRANSACTIONAL') return { ok: true }
  const constraints = constraintsFor(input.recipient, input.companyWindow)
  let at = input.now
  // Each pass moves `at` to the latest next opening; a window that closed meanwhile is caught on the next pass.
  for (let pass = 0; pass < 32; pass++) {
    let latest = at
    for (const constraint of constraints) {
      const opening = nextOpening(constraint, at)
      if (!opening)
        throw new Error(`no sending window within 14 days in ${constraint.zone} (${constraint.region})`)
      if (opening > latest) latest = opening
    }
    if (latest.getTime() === at.getTime()) {
      return at.getTime() === input.now.getTime()
        ? { ok: true }
        : { ok: false, reason: 'quiet_hours', releaseAt: at }
    }
    at = latest
  }
  throw new Error(`no instant inside every sending window for zones ${input.recipient.zones.join(', ')}`)
}
