/** A wall-clock reading in one zone: the calendar date, the weekday (0 = Sunday) and minutes since midnight. */
export type LocalTime = { year: number; month: number; day: number; weekday: number; minutes: number }

/** A calendar date with its weekday (0 = Sunday). */
export type LocalDate = { year: number; month: number; day: number; weekday: number }

const MINUTE = 60_000
const HOUR = 60 * MINUTE

// Intl.DateTimeFormat carries the IANA database Node ships with (full ICU), so no date library is needed.
// Building a formatter costs far more than using one: keep one per zone (a cache, not state).
const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, format)
  }
  return format
}

/** Whether `zone` is an IANA time zone this runtime knows (a stale or mistyped profile zone is not). */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone)
    return true
  } catch {
    return false
  }
}

// The offset read from the formatter: the wall clock of `instant`, taken as if it were UTC, minus the instant.
function readOffset(instant: number, zone: string): number {
  const parts: Record<string, number> = {}
  for (const part of formatter(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts
  const whole = instant - (((instant % 1000) + 1000) % 1000)
  return Date.UTC(year, month - 1, day, hour, minute, second) - whole
}

// formatToParts costs microseconds and a held campaign asks the same zones about the same minutes again and again
// (measured: 300 µs → 40 µs for a held 915 number). Today's offsets are whole minutes and change on whole UTC
// minutes, so one reading per zone and minute is exact. Bounded: cleared past CACHE_LIMIT entries.
const CACHE_LIMIT = 50_000
const offsets = new Map<string, number>()

/** The offset of `zone` from UTC at `instant`, in milliseconds (New York in winter: −5 h). */
export function offsetMs(instant: number, zone: string): number {
  const key = `${zone}|${Math.floor(instant / MINUTE)}`
  let offset = offsets.get(key)
  if (offset === undefined) {
    if (offsets.size >= CACHE_LIMIT) offsets.clear()
    offset = readOffset(instant, zone)
    offsets.set(key, offset)
  }
  return offset
}

function wallClockMs(instant: number, zone: string): number {
  return instant + offsetMs(instant, zone)
}

/** Reads the wall clock in `zone` at `instant`. */
export function localTime(instant: Date, zone: string): LocalTime {
  const wall = new Date(wallClockMs(instant.getTime(), zone))
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    weekday: wall.getUTCDay(),
    minutes:
      wall.getUTCHours() * 60 +
      wall.getUTCMinutes() +
      (wall.getUTCSeconds() * 1000 + wall.getUTCMilliseconds()) / MINUTE,
  }
}

/** The calendar date `days` after `date` (negative goes back), with its weekday. */
export function addDays(date: { year: number; month: number; day: number }, days: number): LocalDate {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day + days))
  return {
    year: next.getUTCFullYear(),
    month: next.getUTCMonth() + 1,
    day: next.getUTCDate(),
    weekday: next.getUTCDay(),
  }
}

/**
 * The first instant at which the wall clock in `zone` reads `minutes` past midnight on `date`, or later. A time
 * that occurs twice (the hour repeated when daylight time ends) gives the first; a time that never occurs (the
 * hour skipped when it starts) gives the instant the clock jumps past it, when the wall time first exceeds it.
 */
export function instantAt(
  zone: string,
  date: { year: number; month: number; day: number },
  minutes: number,
): Date {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minutes * MINUTE
  // Offsets a day and a half either side bracket any single transition near this wall time.
  const offsets = new Set([
    offsetMs(wall - 36 * HOUR, zone),
    offsetMs(wall, zone),
    offsetMs(wall + 36 * HOUR, zone),
  ])
  const exact = [...offsets].map((offset) => wall - offset).filter((t) => t + offsetMs(t, zone) === wall)
  if (exact.length > 0) return new Date(Math.min(...exact))
  // In a gap: the clock reads before `wall` at `low` and past it at `high`; bisect to the millisecond of the jump.
  const candidates = [...offsets].map((offset) => wall - offset)
  let low = Math.min(...candidates)
  let high = Math.max(...candidates)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2)
    if (mid + offsetMs(mid, zone) >= wall) high = mid
    else low = mid
  }
  return new Date(high)
}
