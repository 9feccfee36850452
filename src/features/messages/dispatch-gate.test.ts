import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gateFrequency, gateMessage, recipientOf, type GateInput, type GateResult } from './dispatch-gate.ts'

// Wednesday 2026-03-04, 17:00 UTC = 12:00 in New York.
const NOON = new Date('2026-03-04T17:00:00Z')
const NIGHT = new Date('2026-03-05T03:00:00Z')
const subscribed = { state: 'SUBSCRIBED' as const, address: '+17707651750' }
const base: GateInput = {
  type: 'MARKETING',
  channel: 'TEXT',
  compliance: false,
  to: '+17707651750',
  consent: subscribed,
  deleted: false,
  countries: ['US', 'CA', 'GB'],
  recipient: recipientOf('+17707651750', {}, 'America/New_York'),
  now: NOON,
}

const cases: Array<[what: string, change: Partial<GateInput>, expected: GateResult]> = [
  ['a subscribed person at noon', {}, { action: 'send' }],
  ['no consent record', { consent: undefined }, { action: 'suppress', reason: 'no_consent' }],
  [
    'an opted-out person',
    { consent: { state: 'UNSUBSCRIBED', address: '+17707651750' } },
    { action: 'suppress', reason: 'no_consent' },
  ],
  [
    'a pending double opt-in',
    { consent: { state: 'PENDING', address: '+17707651750' } },
    { action: 'suppress', reason: 'no_consent' },
  ],
  [
    'consent given for another number',
    { consent: { state: 'SUBSCRIBED', address: '+17707651751' } },
    { action: 'suppress', reason: 'no_consent' },
  ],
  ['a deleted person', { deleted: true }, { action: 'suppress', reason: 'deleted' }],
  ['a country not enabled', { countries: ['GB'] }, { action: 'suppress', reason: 'country_not_enabled' }],
  ['marketing at 22:00', { now: NIGHT }, { action: 'hold', until: new Date('2026-03-05T13:00:00Z') }],
  ['transactional at 22:00', { now: NIGHT, type: 'TRANSACTIONAL' }, { action: 'send' }],
  [
    'an opt-out reply to nobody at 22:00',
    { now: NIGHT, compliance: true, consent: undefined, deleted: true },
    { action: 'send' },
  ],
  [
    'a HELP answer to an opted-out number',
    { compliance: true, kind: 'HELP', consent: { state: 'UNSUBSCRIBED', address: '+17707651750' } },
    { action: 'send' },
  ],
  [
    'the opt-out confirmation to the number that just opted out',
    { compliance: true, kind: 'OPT_OUT', consent: { state: 'UNSUBSCRIBED', address: '+17707651750' } },
    { action: 'send' },
  ],
  [
    'a "Reply Y" prompt to a pending double opt-in at 22:00',
    { now: NIGHT, compliance: true, kind: 'CONFIRM_OPT_IN', consent: { state: 'PENDING', address: '+17707651750' } },
    { action: 'send' },
  ],
  [
    'a "Reply Y" prompt still queued when the person texted STOP',
    { compliance: true, kind: 'CONFIRM_OPT_IN', consent: { state: 'UNSUBSCRIBED', address: '+17707651750' } },
    { action: 'suppress', reason: 'no_consent' },
  ],
  [
    'a welcome still queued when the person texted STOP',
    { compliance: true, kind: 'AUTO_RESPONSE', consent: { state: 'UNSUBSCRIBED', address: '+17707651750' } },
    { action: 'suppress', reason: 'no_consent' },
  ],
  [
    'a welcome to a deleted person',
    { compliance: true, kind: 'AUTO_RESPONSE', deleted: true },
    { action: 'suppress', reason: 'deleted' },
  ],
  [
    'marketing to a Florida number at 20:30 local',
    {
      now: new Date('2026-03-05T01:30:00Z'),
      to: '+13055550123',
      consent: { state: 'SUBSCRIBED', address: '+13055550123' },
      recipient: recipientOf('+13055550123', {}, 'America/New_York'),
    },
    { action: 'hold', until: new Date('2026-03-05T13:00:00Z') },
  ],
  [
    'a profile in Phoenix at 21:30 New York time (19:30 there)',
    {
      now: new Date('2026-03-05T02:30:00Z'),
      recipient: recipientOf('+17707651750', { zone: 'America/Phoenix' }, 'America/New_York'),
    },
    { action: 'send' },
  ],
]
for (const [what, change, expected] of cases) {
  test(`the gate: ${what}`, () => assert.deepEqual(gateMessage({ ...base, ...change }), expected))
}

const hour = (h: number) => new Date(NOON.getTime() - h * 3_600_000)
const frequency: Array<[what: string, input: Parameters<typeof gateFrequency>[0], expected: GateResult]> = [
  [
    'nothing sent yet',
    { sent: [], now: NOON, cap: { limit: 1, windowMs: 8 * 3_600_000 }, skipFatigue: false, regions: [] },
    { action: 'send' },
  ],
  [
    'one sent 2 h ago, 1 per 8 h',
    {
      sent: [hour(2)],
      now: NOON,
      cap: { limit: 1, windowMs: 8 * 3_600_000 },
      skipFatigue: false,
      regions: [],
    },
    { action: 'suppress', reason: 'frequency_cap', rule: 'smart_sending' },
  ],
  [
    'one sent 9 h ago, 1 per 8 h',
    {
      sent: [hour(9)],
      now: NOON,
      cap: { limit: 1, windowMs: 8 * 3_600_000 },
      skipFatigue: false,
      regions: [],
    },
    { action: 'send' },
  ],
  [
    'skipFatigue',
    {
      sent: [hour(2)],
      now: NOON,
      cap: { limit: 1, windowMs: 8 * 3_600_000 },
      skipFatigue: true,
      regions: [],
    },
    { action: 'send' },
  ],
  [
    'the cap turned off',
    { sent: [hour(2)], now: NOON, cap: false, skipFatigue: false, regions: [] },
    { action: 'send' },
  ],
  [
    'Florida: a fourth in 24 h, even with skipFatigue',
    { sent: [hour(1), hour(5), hour(20)], now: NOON, cap: false, skipFatigue: true, regions: ['FL'] },
    { action: 'suppress', reason: 'frequency_cap', rule: 'state:FL' },
  ],
]
for (const [what, input, expected] of frequency) {
  test(`the frequency gate: ${what}`, () => assert.deepEqual(gateFrequency(input), expected))
}
