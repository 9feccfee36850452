import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instantAt, isTimeZone, localTime } from './local-time.ts'

// Local wall time → instant, including the hour skipped and the hour repeated on switch days.
const walls: Array<[name: string, zone: string, date: string, time: string, expected: string]> = [
  ['an ordinary winter morning', 'America/New_York', '2025-03-04', '08:00', '2025-03-04T13:00Z'],
  ['08:00 on the spring-forward day is EDT', 'America/New_York', '2025-03-09', '08:00', '2025-03-09T12:00Z'],
  [
    '02:30 is skipped: the clock passes it at 03:00 EDT',
    'America/New_York',
    '2025-03-09',
    '02:30',
    '2025-03-09T07:00Z',
  ],
  ['02:00 is skipped too', 'America/New_York', '2025-03-09', '02:00', '2025-03-09T07:00Z'],
  ['01:59 still exists in EST', 'America/New_York', '2025-03-09', '01:59', '2025-03-09T06:59Z'],
  ["St. John's skipped 02:30 NST: 03:00 NDT", 'America/St_Johns', '2025-03-09', '02:30', '2025-03-09T05:30Z'],
  [
    '01:30 twice on the fall-back day: the first (EDT)',
    'America/New_York',
    '2025-11-02',
    '01:30',
    '2025-11-02T05:30Z',
  ],
  ['08:00 on the fall-back day is EST', 'America/New_York', '2025-11-02', '08:00', '2025-11-02T13:00Z'],
  ['London skipped 01:30: 02:00 BST', 'Europe/London', '2025-03-30', '01:30', '2025-03-30T01:00Z'],
  ['Phoenix never skips', 'America/Phoenix', '2025-03-09', '02:30', '2025-03-09T09:30Z'],
  ["St. John's half hour in summer", 'America/St_Johns', '2025-07-01', '08:00', '2025-07-01T10:30Z'],
  ['Regina in summer is still UTC−6', 'America/Regina', '2025-07-01', '08:00', '2025-07-01T14:00Z'],
]
for (const [name, zone, date, time, expected] of walls) {
  test(`instantAt: ${name}`, () => {
    const [year, month, day] = date.split('-').map(Number) as [number, number, number]
    const [hour, minute] = time.split(':').map(Number) as [number, number]
    const at = instantAt(zone, { year, month, day }, hour * 60 + minute)
    assert.equal(at.toISOString(), new Date(expected).toISOString())
  })
}

const readings: Array<[instant: string, zone: string, expected: ReturnType<typeof localTime>]> = [
  ['2025-03-09T06:59:30Z', 'America/New_York', { year: 2025, month: 3, day: 9, weekday: 0, minutes: 119.5 }],
  ['2025-03-09T07:00:00Z', 'America/New_York', { year: 2025, month: 3, day: 9, weekday: 0, minutes: 180 }],
  [
    '2025-01-01T02:30:00Z',
    'America/St_Johns',
    { year: 2024, month: 12, day: 31, weekday: 2, minutes: 23 * 60 },
  ],
  [
    '2025-07-01T23:59:59.500Z',
    'Europe/London',
    { year: 2025, month: 7, day: 2, weekday: 3, minutes: 59 + 59.5 / 60 },
  ],
]
for (const [instant, zone, expected] of readings) {
  test(`localTime: ${instant} in ${zone}`, () =>
    assert.deepEqual(localTime(new Date(instant), zone), expected))
}

test('isTimeZone accepts IANA zones and refuses made-up ones', () => {
  assert.equal(isTimeZone('America/St_Johns'), true)
  assert.equal(isTimeZone('Mars/Olympus_Mons'), false)
  assert.equal(isTimeZone(''), false)
})
