import assert from 'node:assert/strict'
import { test } from 'node:test'
import { frequencyCap, SMART_SENDING_DEFAULT, stateFrequencyCap, type FrequencyResult } from './fatigue.ts'

const H = 3_600_000
const NOW = new Date('2025-07-01T18:00:00Z')
const ago = (hours: number) => new Date(NOW.getTime() - hours * H)
const at = (hours: number) => new Date(NOW.getTime() + hours * H)
const SEND: FrequencyResult = { ok: true }
const wait = (releaseAt: Date, rule = 'smart_sending'): FrequencyResult => ({
  ok: false,
  reason: 'frequency_cap',
  rule,
  releaseAt,
})
const { limit: ONE, windowMs: EIGHT_HOURS } = SMART_SENDING_DEFAULT

// [case, sends already made, limit, window, skipFatigue, expected]
const cases: Array<
  [name: string, sent: Date[], limit: number, windowMs: number, skip: boolean, expected: FrequencyResult]
> = [
  ['nothing sent yet', [], ONE, EIGHT_HOURS, false, SEND],
  ['one sent 2 h ago: wait until it is 8 h old', [ago(2)], ONE, EIGHT_HOURS, false, wait(at(6))],
  ['one sent 8 h ago has left the window', [ago(8)], ONE, EIGHT_HOURS, false, SEND],
  [
    'one sent 7 h 59 m ago still counts',
    [new Date(NOW.getTime() - 8 * H + 60_000)],
    ONE,
    EIGHT_HOURS,
    false,
    wait(at(1 / 60)),
  ],
  ['one sent 9 h ago is outside', [ago(9)], ONE, EIGHT_HOURS, false, SEND],
  ['skipFatigue bypasses the cap', [ago(1)], ONE, EIGHT_HOURS, true, SEND],
  ['3 per 8 h with 2 sent: send', [ago(1), ago(2)], 3, EIGHT_HOURS, false, SEND],
  [
    '3 per 8 h with 3 sent: wait for the oldest',
    [ago(1), ago(5), ago(3)],
    3,
    EIGHT_HOURS,
    false,
    wait(at(3)),
  ],
  [
    '3 per 8 h with 4 sent (raced): wait for two to leave',
    [ago(1), ago(2), ago(5), ago(3)],
    3,
    EIGHT_HOURS,
    false,
    wait(at(5)),
  ],
  [
    'a send stamped a second in the future counts',
    [new Date(NOW.getTime() + 1000)],
    ONE,
    EIGHT_HOURS,
    false,
    wait(new Date(NOW.getTime() + 1000 + 8 * H)),
  ],
  ['unsorted input', [ago(7), ago(1), ago(4)], 2, EIGHT_HOURS, false, wait(at(4))],
  ['limit Infinity turns the cap off', [ago(1), ago(2)], Infinity, EIGHT_HOURS, false, SEND],
  ['12 h window (an older Attentive default)', [ago(10)], ONE, 12 * H, false, wait(at(2))],
]
for (const [name, sent, limit, windowMs, skipFatigue, expected] of cases) {
  test(`frequencyCap: ${name}`, () =>
    assert.deepEqual(frequencyCap({ sentInWindow: sent, now: NOW, limit, windowMs, skipFatigue }), expected))
}

test('frequencyCap refuses a limit that is not a whole number ≥ 1', () => {
  for (const limit of [0, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => frequencyCap({ sentInWindow: [], now: NOW, limit, windowMs: H, skipFatigue: false }),
      RangeError,
    )
  }
})

test('the company default is one marketing message per 8 hours', () => {
  assert.deepEqual(SMART_SENDING_DEFAULT, { limit: 1, windowMs: 8 * H })
})

// [case, regions, marketing sends of the last 24 h, expected]
const states: Array<[name: string, regions: string[], sent: Date[], expected: FrequencyResult]> = [
  ['Florida, 2 in 24 h: send', ['FL'], [ago(1), ago(20)], SEND],
  [
    'Florida, 3 in 24 h: wait for the oldest to be 24 h old',
    ['FL'],
    [ago(1), ago(20), ago(10)],
    wait(at(4), 'state:FL'),
  ],
  ['Florida, 3 sent but one 24 h ago: send', ['FL'], [ago(1), ago(24), ago(10)], SEND],
  ['Oklahoma, 3 in 24 h', ['OK'], [ago(1), ago(2), ago(3)], wait(at(21), 'state:OK')],
  ['Maryland, 3 in 24 h', ['MD'], [ago(23), ago(2), ago(3)], wait(at(1), 'state:MD')],
  ['New York has no state cap', ['NY'], [ago(1), ago(2), ago(3), ago(4)], SEND],
  ['no state known', [], [ago(1), ago(2), ago(3)], SEND],
  [
    'profile FL + area code NY: Florida applies',
    ['NY', 'FL'],
    [ago(1), ago(2), ago(3)],
    wait(at(21), 'state:FL'),
  ],
]
for (const [name, regions, sent, expected] of states) {
  test(`stateFrequencyCap: ${name}`, () =>
    assert.deepEqual(stateFrequencyCap({ regions, sentInWindow: sent, now: NOW }), expected))
}
