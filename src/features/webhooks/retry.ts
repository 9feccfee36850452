/** Delays after the first five failed attempts (ATTENTIVE_API.md §4.4): 1 min, 5 min, 30 min, 2 h, 6 h. */
export const RETRY_DELAYS_MS = [60_000, 300_000, 1_800_000, 7_200_000, 21_600_000] as const
/** After those, one attempt every 12 h. */
export const LATER_RETRY_MS = 12 * 3_600_000
/** Retries stop this long after the first attempt of the window (Attentive: "up to 3 days"). */
export const RETRY_WINDOW_MS = 72 * 3_600_000
/** After failing this long without a 2xx, the app's contact is told (§4.4). */
export const FAILING_NOTICE_MS = 24 * 3_600_000
/** After failing this long without a 2xx, the webhook is disabled (§4.4). */
export const FAILING_DISABLE_MS = RETRY_WINDOW_MS
/** A receiver's Retry-After is honoured up to this long. */
const MAX_RETRY_AFTER_MS = LATER_RETRY_MS
/** Each delay is moved by up to ±10 % so deliveries failed together do not all retry in the same instant. */
const JITTER = 0.1

/** What decides the next attempt of a failed delivery. */
export interface RetryInput {
  /** The attempt that just failed, 1 for the first. */
  attempt: number
  /** Start of the delivery's retry window (its first attempt, or the first after a replay). */
  windowStartedAt: Date
  now: Date
  /** Uniform in [0, 1), for jitter. */
  random: number
  /** The receiver's Retry-After, if it sent one (429, 503). */
  retryAfterMs?: number | undefined
}

/**
 * When to try a failed delivery again, or undefined to give up: the schedule's delay with jitter, or the
 * receiver's Retry-After if longer, never past the end of the 72 h window, where one last attempt is made.
 */
export function nextAttemptAt(input: RetryInput): Date | undefined {
  const end = input.windowStartedAt.getTime() + RETRY_WINDOW_MS
  const now = input.now.getTime()
  if (now >= end) return undefined
  const base = RETRY_DELAYS_MS[input.attempt - 1] ?? LATER_RETRY_MS
  const jittered = base * (1 - JITTER + 2 * JITTER * input.random)
  const delay = Math.max(jittered, Math.min(input.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS))
  return new Date(Math.min(now + Math.round(delay), end))
}

/** Reads a Retry-After header (seconds, or an HTTP date) as milliseconds from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000
  // Otherwise an HTTP-date (RFC 9110 §10.2.3), e.g. "Thu, 15 Jan 2026 15:01:00 GMT".
  if (!/^[A-Za-z]{3}, /.test(text)) return undefined
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime())
}
