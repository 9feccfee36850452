import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseOccurredAt, triggersJourneys } from './occurred-at.ts'

const now = new Date('2026-01-15T15:00:00Z')

const accepted: Array<[input: string, iso: string]> = [
  ['2021-03-30T14:38:29.000Z', '2021-03-30T14:38:29.000Z'], // [OA]'s example
  ['2021-03-30T14:38:29+0000', '2021-03-30T14:38:29.000Z'], // [OA]'s other example
  ['2021-03-30T14:38:29Z', '2021-03-30T14:38:29.000Z'],
  ['2021-03-30T14:38:29+02:00', '2021-03-30T12:38:29.000Z'],
  ['2021-03-30T14:38:29-0530', '2021-03-30T20:08:29.000Z'],
  ['2021-03-30T14:38:29.123456789Z', '2021-03-30T14:38:29.123Z'],
  ['2021-03-30T14:38:29.5+01:00', '2021-03-30T13:38:29.500Z'],
  ['2021-03-30T14:38:29', '2021-03-30T14:38:29.000Z'], // no offset: UTC
  ['2021-03-30t14:38:29z', '2021-03-30T14:38:29.000Z'],
  ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ['2026-01-15T15:59:59Z', '2026-01-15T15:59:59.000Z'], // just inside the 1 h skew
]
for (const [input, iso] of accepted) {
  test(`reads occurredAt ${input} as ${iso}`, () => {
    const result = parseOccurredAt(input, now)
    assert.ok(result.ok, JSON.stringify(result))
    assert.equal(result.at.toISOString(), iso)
  })
}

const refused: Array<[input: string, reason: RegExp]> = [
  ['2021-03-30', /date without a time/],
  ['2021-03-30T14:38Z', /not an RFC 3339/],
  ['2021-03-30 14:38:29Z', /not an RFC 3339/],
  ['30/03/2021 14:38:29', /not an RFC 3339/],
  ['1617115109', /not an RFC 3339/],
  ['2021-03-30T14:38:29+00', /not an RFC 3339/],
  ['2021-02-30T00:00:00Z', /not a calendar date/],
  ['2023-02-29T00:00:00Z', /not a calendar date/],
  ['2021-13-01T00:00:00Z', /not a calendar date/],
  ['2021-03-30T24:00:00Z', /not a time of day/],
  ['2021-03-30T14:38:29+24:00', /offset out of range/],
  ['2026-01-15T16:00:01Z', /more than 1 hour in the future/],
  ['', /not an RFC 3339/],
]
for (const [input, reason] of refused) {
  test(`refuses occurredAt ${JSON.stringify(input)}`, () => {
    const result = parseOccurredAt(input, now)
    assert.equal(result.ok, false)
    if (!result.ok) assert.match(result.reason, reason)
  })
}

const windows: Array<[occurredAt: string, triggers: boolean]> = [
  ['2026-01-15T15:00:00Z', true],
  ['2026-01-15T03:00:00Z', true], // exactly 12 h old
  ['2026-01-15T02:59:59Z', false],
  ['2026-01-15T02:00:00Z', false], // 13 h old
  ['2026-01-15T15:30:00Z', true], // slightly ahead (skew)
]
for (const [occurredAt, triggers] of windows) {
  test(`an event of ${occurredAt} received at ${now.toISOString()} ${triggers ? 'triggers' : 'does not trigger'} journeys`, () => {
    assert.equal(triggersJourneys(new Date(occurredAt), now), triggers)
  })
}
