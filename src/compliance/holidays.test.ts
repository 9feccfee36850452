import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isNoSolicitationHoliday } from './holidays.ts'
import { addDays } from './local-time.ts'

// [state, date, holiday?]: federal holidays with their observed weekdays, and each state's own.
const cases: Array<[state: string, date: string, holiday: boolean]> = [
  ['AL', '2025-01-01', true],
  ['AL', '2025-01-20', true],
  ['AL', '2025-02-17', true],
  ['AL', '2025-05-26', true],
  ['AL', '2025-06-19', true],
  ['AL', '2025-07-04', true],
  ['AL', '2025-09-01', true],
  ['AL', '2025-10-13', true],
  ['AL', '2025-11-11', true],
  ['AL', '2025-11-27', true],
  ['AL', '2025-12-25', true],
  ['PA', '2026-07-03', true],
  ['PA', '2026-07-04', true],
  ['PA', '2027-12-24', true],
  ['PA', '2021-12-31', true],
  ['PA', '2022-01-03', false],
  ['PA', '2023-01-02', true],
  ['AL', '2025-03-04', true],
  ['LA', '2025-03-04', true],
  ['LA', '2026-02-17', true],
  ['LA', '2026-04-03', true],
  ['MS', '2025-03-04', false],
  ['AL', '2025-04-28', true],
  ['AL', '2025-06-02', true],
  ['MS', '2025-04-28', true],
  ['MS', '2025-04-21', false],
  ['RI', '2025-08-11', true],
  ['RI', '2025-08-04', false],
  ['UT', '2025-07-24', true],
  ['UT', '2027-07-23', true],
  ['UT', '2025-07-23', false],
  ['AL', '2025-07-05', false],
  ['AL', '2025-11-28', false],
  ['GA', '2025-12-25', false],
  ['FL', '2025-07-04', false],
]
for (const [state, date, holiday] of cases) {
  test(`${date} is ${holiday ? '' : 'not '}a no-solicitation holiday in ${state}`, () => {
    const [year, month, day] = date.split('-').map(Number) as [number, number, number]
    assert.equal(isNoSolicitationHoliday(state, addDays({ year, month, day }, 0)), holiday)
  })
}
