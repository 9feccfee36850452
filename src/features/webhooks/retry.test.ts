import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nextAttemptAt, parseRetryAfter } from './retry.ts'

const START = new Date('2026-01-15T15:00:00Z')
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const at = (ms: number) => new Date(START.getTime() + ms)

// [failed attempt, failed at (ms after the window's start), random, retry-after ms, next attempt (ms after start) or undefined]
const cases: Array<[attempt: number, failedAt: number, random: number, retryAfter: number | undefined, next: number | undefined]> = [
  [1, 0, 0.5, undefined, 1 * MINUTE],
  [2, 1 * MINUTE, 0.5, undefined, 6 * MINUTE],
  [3, 6 * MINUTE, 0.5, undefined, 36 * MINUTE],
  [4, 36 * MINUTE, 0.5, undefined, 156 * MINUTE],
  [5, 156 * MINUTE, 0.5, undefined, 516 * MINUTE],
  [6, 516 * MINUTE, 0.5, undefined, 516 * MINUTE + 12 * HOUR],
  [9, 60 * HOUR, 0.5, undefined, 72 * HOUR],
  // Jitter moves a delay by up to ±10 %.
  [1, 0, 0, undefined, 54_000],
  [1, 0, 0.999999, undefined, 66_000],
  [5, 0, 0, undefined, 5.4 * HOUR],
  // A longer Retry-After wins; a shorter one does not shorten the schedule; it is capped at 12 h.
  [1, 0, 0.5, 10 * MINUTE, 10 * MINUTE],
  [3, 0, 0.5, 1000, 30 * MINUTE],
  [1, 0, 0.5, 48 * HOUR, 12 * HOUR],
  // The window ends 72 h after the first attempt: one last try at its end, then nothing.
  [10, 71 * HOUR, 0.5, undefined, 72 * HOUR],
  [11, 72 * HOUR, 0.5, undefined, undefined],
  [11, 80 * HOUR, 0.5, undefined, undefined],
]

for (const [attempt, failedAt, random, retryAfterMs, next] of cases) {
  const expected = next === undefined ? 'gives up' : `retries at +${next / MINUTE} min`
  test(`attempt ${attempt} failing at +${failedAt / MINUTE} min (random ${random}, retry-after ${retryAfterMs ?? '-'}) ${expected}`, () => {
    const result = nextAttemptAt({ attempt, windowStartedAt: START, now: at(failedAt), random, retryAfterMs })
    assert.equal(result?.getTime(), next === undefined ? undefined : at(next).getTime())
  })
}

const retryAfters: Array<[header: string | undefined, ms: number | undefined]> = [
  ['120', 120_000],
  [' 5 ', 5000],
  ['Thu, 15 Jan 2026 15:01:00 GMT', 60_000],
  ['Thu, 15 Jan 2026 14:00:00 GMT', 0],
  ['soon', undefined],
  ['-1', undefined],
  [undefined, undefined],
]
for (const [header, ms] of retryAfters) {
  test(`Retry-After ${JSON.stringify(header)} is ${ms ?? 'ignored'}`, () => assert.equal(parseRetryAfter(header, START), ms))
}
