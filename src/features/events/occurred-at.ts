/** What `parseOccurredAt` answers: the instant, or why the text is refused. */
export type OccurredAtResult = { ok: true; at: Date } | { ok: false; reason: string }

/** How far ahead of the receiving clock an `occurredAt` may be (clock skew): 1 hour (ATTENTIVE_API.md §1.7). */
export const FUTURE_SKEW_MS = 60 * 60 * 1000

/** Events older than this are stored but start no journey: 12 hours ([OA], seed 003). */
export const TRIGGER_WINDOW_MS = 12 * 60 * 60 * 1000

// RFC 3339 date-time: `T` (or `t`) between date and time, seconds required, any fraction, then `Z`, `±HH:MM` or
// the `±HHMM` of [OA]'s own example (2021-03-30T14:38:29+0000). No offset at all is read as UTC (Attune's choice).
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/** The expected form, quoted by every refusal. */
export const OCCURRED_AT_FORM = 'use RFC 3339 such as 2021-03-30T14:38:29Z, 2021-03-30T14:38:29.000Z or 2021-03-30T14:38:29+0000'

/**
 * Reads an event's `occurredAt` (ATTENTIVE_API.md §1.7): RFC 3339 with `Z`, `±HH:MM` or `±HHMM`, optional
 * fractions (kept to the millisecond), no offset meaning UTC. Refused: a date without a time, impossible dates
 * (2021-02-30), and instants more than FUTURE_SKEW_MS after `now`. Pure: no I/O, no clock.
 */
export function parseOccurredAt(input: string, now: Date): OccurredAtResult {
  const text = input.trim()
  if (DATE_ONLY.test(text)) return { ok: false, reason: 'is a date without a time of day' }
  const match = DATE_TIME.exec(text)
  if (!match) return { ok: false, reason: 'is not an RFC 3339 date-time' }
  const [, y, mo, d, h, mi, s, fraction = '', , sign, oh = '0', om = '0'] = match
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number, number, number, number, number, number,
  ]
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) {
    return { ok: false, reason: 'is not a calendar date' }
  }
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: 'is not a time of day' }
  if (Number(oh) > 23 || Number(om) > 59) return { ok: false, reason: 'has an offset out of range (at most ±23:59)' }
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om))
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3))
  const local = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms))
  local.setUTCFullYear(year) // Date.UTC would read years 0-99 as 1900-1999
  const at = new Date(local.getTime() - offsetMinutes * 60_000)
  if (at.getTime() - now.getTime() > FUTURE_SKEW_MS) {
    return { ok: false, reason: 'is more than 1 hour in the future' }
  }
  return { ok: true, at }
}

/** Whether an event that happened at `occurredAt` may still start journeys when received at `now`. */
export function triggersJourneys(occurredAt: Date, now: Date): boolean {
  return now.getTime() - occurredAt.getTime() <= TRIGGER_WINDOW_MS
}

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31
}
