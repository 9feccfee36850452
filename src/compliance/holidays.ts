import { addDays, type LocalDate } from './local-time.ts'

type Day = { year: number; month: number; day: number }

// The n-th given weekday of a month (n = -1: the last one).
function nthWeekday(year: number, month: number, weekday: number, n: number): Day {
  if (n > 0) {
    const first = addDays({ year, month, day: 1 }, 0)
    return addDays(first, ((weekday - first.weekday + 7) % 7) + (n - 1) * 7)
  }
  const last = addDays({ year, month: month + 1, day: 1 }, -1)
  return addDays(last, -((last.weekday - weekday + 7) % 7))
}

// Western Easter Sunday (the anonymous Gregorian computus), for Mardi Gras and Good Friday.
function easter(year: number): Day {
  const a = year % 19
  const b = Math.floor(year / 100)
  const c = year % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  return { year, month, day: ((h + l - 7 * m + 114) % 31) + 1 }
}

// A fixed-date holiday and the weekday it is observed on (Saturday → Friday, Sunday → Monday): both count.
function fixed(year: number, month: number, day: number): Day[] {
  const date = addDays({ year, month, day }, 0)
  if (date.weekday === 6) return [date, addDays(date, -1)]
  if (date.weekday === 0) return [date, addDays(date, 1)]
  return [date]
}

// Federal holidays (5 U.S.C. 6103): every state that restricts sales calls on holidays observes these.
function federal(year: number): Day[] {
  return [
    ...fixed(year, 1, 1),
    ...fixed(year + 1, 1, 1).filter((day) => day.year === year),
    nthWeekday(year, 1, 1, 3),
    nthWeekday(year, 2, 1, 3),
    nthWeekday(year, 5, 1, -1),
    ...fixed(year, 6, 19),
    ...fixed(year, 7, 4),
    nthWeekday(year, 9, 1, 1),
    nthWeekday(year, 10, 1, 2),
    ...fixed(year, 11, 11),
    nthWeekday(year, 11, 4, 4),
    ...fixed(year, 12, 25),
  ]
}

// State holidays beyond the federal list, for the states whose telemarketing laws exclude holidays
// (COMPLIANCE.md §1.8: AL, LA, MS, PA, RI, UT). A held message only waits, so the list errs wide.
const STATE_EXTRAS: Record<string, (year: number) => Day[]> = {
  // Mardi Gras (Mobile and Baldwin counties, applied statewide), Confederate Memorial Day, Jefferson Davis' birthday
  AL: (year) => [addDays(easter(year), -47), nthWeekday(year, 4, 1, 4), nthWeekday(year, 6, 1, 1)],
  // Mardi Gras and Good Friday
  LA: (year) => [addDays(easter(year), -47), addDays(easter(year), -2)],
  // Confederate Memorial Day
  MS: (year) => [nthWeekday(year, 4, 1, -1)],
  PA: () => [],
  // Victory Day
  RI: (year) => [nthWeekday(year, 8, 1, 2)],
  // Pioneer Day
  UT: (year) => [...fixed(year, 7, 24)],
}

/** The states whose laws forbid telephone solicitation on (some) holidays. */
export const HOLIDAY_STATES = Object.keys(STATE_EXTRAS)

/** Whether `date` is a holiday on which `state` forbids marketing calls and texts; false for other states. */
export function isNoSolicitationHoliday(state: string, date: LocalDate): boolean {
  const extras = STATE_EXTRAS[state]
  if (!extras) return false
  const days = [...federal(date.year), ...extras(date.year)]
  return days.some((day) => day.year === date.year && day.month === date.month && day.day === date.day)
}
