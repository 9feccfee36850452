import assert from 'node:assert/strict'
import { test } from 'node:test'
import { quietHours, resolveRecipientZone, type RecipientZone, type Window } from './quiet-hours.ts'

type Who = { phoneE164?: string; profileZone?: string; profileState?: string }
const COMPANY_ZONE = 'America/New_York'
const phone = (phoneE164: string): Who => ({ phoneE164 })
const NY = phone('+12125550100')
const PHX = phone('+16025550100')
const NAVAJO = phone('+19285550100')
const STJ: Who = { profileZone: 'America/St_Johns' }
const STJ_CA: Who = { profileZone: 'America/St_Johns', phoneE164: '+17097220100' }
const REGINA: Who = { profileZone: 'America/Regina', phoneE164: '+13065550100' }
const PANHANDLE = phone('+18504440100')
const DALLAS = phone('+12145550100')
const EL_PASO = phone('+19155550100')
const MIAMI = phone('+13055550100')
const SEND = 'send'

// COMPLIANCE.md §1.8 and §4.7.8, one row per marketing message: [case, recipient, now (UTC), 'send' or the
// release instant (UTC)]. 2025-03-09 and 2025-11-02 are the US daylight-time switch days.
const cases: Array<[name: string, who: Who, now: string, expected: string]> = [
  // federal 08:00–21:00
  ['NY 09:00 EST', NY, '2025-03-04T14:00Z', SEND],
  ['NY 07:30 EST waits for 08:00', NY, '2025-03-04T12:30Z', '2025-03-04T13:00Z'],
  ['NY 20:59 EST', NY, '2025-03-05T01:59Z', SEND],
  ['NY 21:00 EST waits for 08:00 next day', NY, '2025-03-05T02:00Z', '2025-03-05T13:00Z'],
  // daylight time starts (2nd Sunday of March): 02:00–03:00 is skipped, the release is 08:00 EDT
  ['NY 21:00 EST the night before DST: 08:00 EDT', NY, '2025-03-09T02:00Z', '2025-03-09T12:00Z'],
  ['NY 01:30 EST, before the skipped hour', NY, '2025-03-09T06:30Z', '2025-03-09T12:00Z'],
  ['NY 03:30 EDT, after the skipped hour', NY, '2025-03-09T07:30Z', '2025-03-09T12:00Z'],
  ['NY 08:00 EDT on the DST day', NY, '2025-03-09T12:00Z', SEND],
  // daylight time ends (1st Sunday of November): 01:00–02:00 happens twice, the release is 08:00 EST
  ['NY 21:30 EDT the night before: 08:00 EST', NY, '2025-11-02T01:30Z', '2025-11-02T13:00Z'],
  ['NY first 01:30 (EDT)', NY, '2025-11-02T05:30Z', '2025-11-02T13:00Z'],
  ['NY second 01:30 (EST)', NY, '2025-11-02T06:30Z', '2025-11-02T13:00Z'],
  ['NY 07:59 EST on the fall-back day', NY, '2025-11-02T12:59Z', '2025-11-02T13:00Z'],
  // Phoenix keeps MST all year; the Navajo Nation (928) keeps daylight time
  ['Phoenix 07:30 in July', PHX, '2025-07-01T14:30Z', '2025-07-01T15:00Z'],
  ['Phoenix 07:30 in January: same UTC', PHX, '2025-01-15T14:30Z', '2025-01-15T15:00Z'],
  ['Phoenix 20:30 in July (Denver 21:30)', PHX, '2025-07-02T03:30Z', SEND],
  ['928 at 20:30 MST / 21:30 MDT', NAVAJO, '2025-07-02T03:30Z', '2025-07-02T15:00Z'],
  [
    'Phoenix profile zone on the DST day',
    { profileZone: 'America/Phoenix' },
    '2025-03-09T14:30Z',
    '2025-03-09T15:00Z',
  ],
  // St. John's: UTC−3:30 (−2:30 in summer); a Canadian number gets the CRTC window (09:00–21:30 weekdays)
  ["St. John's 07:30 NDT: half-hour offset", STJ, '2025-07-01T10:00Z', '2025-07-01T10:30Z'],
  ["St. John's 07:30 NST in January", STJ, '2025-01-15T11:00Z', '2025-01-15T11:30Z'],
  ["St. John's number, weekday: 09:00 NDT", STJ_CA, '2025-07-01T11:00Z', '2025-07-01T11:30Z'],
  ["St. John's number at 21:15 NDT", STJ_CA, '2025-07-01T23:45Z', SEND],
  ["St. John's number at 21:30 NDT", STJ_CA, '2025-07-02T00:00Z', '2025-07-02T11:30Z'],
  [
    '709 without profile zone: 09:00 in Labrador',
    phone('+17097220100'),
    '2025-07-01T11:00Z',
    '2025-07-01T12:00Z',
  ],
  // Regina: CST all year; 306 also covers Lloydminster on Alberta time
  ['Regina 08:30 on a weekday: 09:00', REGINA, '2025-07-01T14:30Z', '2025-07-01T15:00Z'],
  ['Regina 08:30 in January: same UTC', REGINA, '2025-01-15T14:30Z', '2025-01-15T15:00Z'],
  ['Regina Saturday 09:30: weekend 10:00', REGINA, '2025-01-18T15:30Z', '2025-01-18T16:00Z'],
  ['Regina Saturday 18:00: Sunday 10:00', REGINA, '2025-01-19T00:00Z', '2025-01-19T16:00Z'],
  [
    '306 without profile zone: 09:00 Alberta time',
    phone('+13065550100'),
    '2025-01-15T14:30Z',
    '2025-01-15T16:00Z',
  ],
  [
    'Regina profile zone, no number: 08:00',
    { profileZone: 'America/Regina' },
    '2025-01-15T13:30Z',
    '2025-01-15T14:00Z',
  ],
  // 850: the Panhandle is split Central/Eastern; only the window open in both (13:00–00:00 UTC in July)
  ['850 at 08:30 EDT / 07:30 CDT', PANHANDLE, '2025-07-01T12:30Z', '2025-07-01T13:00Z'],
  ['850 at 08:00 CDT', PANHANDLE, '2025-07-01T13:00Z', SEND],
  ['850 at 19:59 EDT', PANHANDLE, '2025-07-01T23:59Z', SEND],
  ['850 at 20:00 EDT / 19:00 CDT', PANHANDLE, '2025-07-02T00:00Z', '2025-07-02T13:00Z'],
  ['448 (the 850 overlay)', phone('+14482220100'), '2025-07-01T12:30Z', '2025-07-01T13:00Z'],
  [
    '850 with a Central profile zone',
    { ...PANHANDLE, profileZone: 'America/Chicago' },
    '2025-07-02T00:30Z',
    SEND,
  ],
  // Texas: 09:00–21:00 Mon–Sat, 12:00–21:00 Sunday, in the recipient's zone and in Central time
  ['Dallas Sunday 11:30', DALLAS, '2025-07-06T16:30Z', '2025-07-06T17:00Z'],
  ['Dallas Sunday noon', DALLAS, '2025-07-06T17:00Z', SEND],
  ['Dallas Saturday 08:30', DALLAS, '2025-07-05T13:30Z', '2025-07-05T14:00Z'],
  ['Dallas Saturday 21:00: Sunday noon', DALLAS, '2025-07-06T02:00Z', '2025-07-06T17:00Z'],
  ['El Paso Sunday 11:30 MDT: noon Mountain', EL_PASO, '2025-07-06T17:30Z', '2025-07-06T18:00Z'],
  ['El Paso Sunday 20:30 MDT = 21:30 CDT', EL_PASO, '2025-07-07T02:30Z', '2025-07-07T15:00Z'],
  // Florida, Oklahoma, Maryland, Washington 08:00–20:00
  ['Miami 19:59', MIAMI, '2025-07-01T23:59Z', SEND],
  ['Miami 20:00', MIAMI, '2025-07-02T00:00Z', '2025-07-02T12:00Z'],
  [
    'NY number, Florida profile state, 20:30',
    { ...NY, profileState: 'fl' },
    '2025-07-02T00:30Z',
    '2025-07-02T12:00Z',
  ],
  ['Oklahoma 20:00 CDT', phone('+14055550100'), '2025-07-02T01:00Z', '2025-07-02T13:00Z'],
  ['Maryland 20:15 EDT', phone('+14105550100'), '2025-07-02T00:15Z', '2025-07-02T12:00Z'],
  ['Washington 20:00 PDT', phone('+12065550100'), '2025-07-02T03:00Z', '2025-07-02T15:00Z'],
  // the other states of §1.8
  ['Connecticut 08:30', phone('+12035550100'), '2025-07-01T12:30Z', '2025-07-01T13:00Z'],
  ['Connecticut 20:00', phone('+12035550100'), '2025-07-02T00:00Z', '2025-07-02T13:00Z'],
  ['Kentucky 09:30', phone('+15025550100'), '2025-07-01T13:30Z', '2025-07-01T14:00Z'],
  ['Alabama Sunday: Monday 08:00', phone('+12055550100'), '2025-07-06T15:00Z', '2025-07-07T13:00Z'],
  [
    'Alabama Sunday before Memorial Day: Tuesday',
    phone('+12055550100'),
    '2025-05-25T15:00Z',
    '2025-05-27T13:00Z',
  ],
  ['Louisiana on Mardi Gras 2025', phone('+15045550100'), '2025-03-04T15:00Z', '2025-03-05T14:00Z'],
  ['Mississippi Sunday', phone('+16015550100'), '2025-07-06T15:00Z', '2025-07-07T13:00Z'],
  [
    'Rhode Island Saturday 17:30: Sunday 10:00',
    phone('+14015550100'),
    '2025-07-05T21:30Z',
    '2025-07-06T14:00Z',
  ],
  [
    'Rhode Island on July 4th: Saturday 10:00',
    phone('+14015550100'),
    '2025-07-04T14:00Z',
    '2025-07-05T14:00Z',
  ],
  ['Illinois (sources conflict) 08:30', phone('+13125550100'), '2025-07-01T13:30Z', '2025-07-01T14:00Z'],
  ['California 08:30', phone('+14155550100'), '2025-07-01T15:30Z', '2025-07-01T16:00Z'],
  ['Utah on Pioneer Day', phone('+18015550100'), '2025-07-24T16:00Z', '2025-07-25T14:00Z'],
  ['Georgia (federal only) 20:30', phone('+14045550100'), '2025-07-02T00:30Z', SEND],
  ['Alaska 07:30 AKDT: 08:00 in Adak', phone('+19075550100'), '2025-07-01T15:30Z', '2025-07-01T17:00Z'],
  ['Honolulu 07:00', phone('+18085550100'), '2025-07-01T17:00Z', '2025-07-01T18:00Z'],
  // fallbacks
  [
    'unknown profile zone: area code',
    { ...NY, profileZone: 'Mars/Olympus_Mons' },
    '2025-03-04T12:30Z',
    '2025-03-04T13:00Z',
  ],
  ['toll-free number: company zone', phone('+18005550100'), '2025-03-04T12:30Z', '2025-03-04T13:00Z'],
  ['UK number 07:30 BST: 08:00 London', phone('+447911123456'), '2025-07-01T06:30Z', '2025-07-01T07:00Z'],
  ['no number, no profile: company zone', {}, '2025-03-05T02:30Z', '2025-03-05T13:00Z'],
]

for (const [name, who, now, expected] of cases) {
  test(`marketing: ${name} → ${expected}`, () => {
    const recipient = resolveRecipientZone({ ...who, companyZone: COMPANY_ZONE })
    const result = quietHours({ messageType: 'MARKETING', recipient, now: new Date(now) })
    if (expected === SEND) assert.deepEqual(result, { ok: true })
    else assert.deepEqual(result, { ok: false, reason: 'quiet_hours', releaseAt: new Date(expected) })
  })
}

// Transactional messages are never held, whatever the hour, day or state.
const transactional: Array<[name: string, who: Who, now: string]> = [
  ['NY 03:00', NY, '2025-03-04T08:00Z'],
  ['Alabama Sunday', phone('+12055550100'), '2025-07-06T15:00Z'],
  ['Florida 20:00', MIAMI, '2025-07-02T00:00Z'],
  ['Texas Sunday 08:00', DALLAS, '2025-07-06T13:00Z'],
]
for (const [name, who, now] of transactional) {
  test(`transactional: ${name} → send`, () => {
    const recipient = resolveRecipientZone({ ...who, companyZone: COMPANY_ZONE })
    assert.deepEqual(quietHours({ messageType: 'TRANSACTIONAL', recipient, now: new Date(now) }), {
      ok: true,
    })
  })
}

test('a held message is released: at its releaseAt the same check says send', () => {
  const recipient = resolveRecipientZone({ ...EL_PASO, companyZone: COMPANY_ZONE })
  const held = quietHours({ messageType: 'MARKETING', recipient, now: new Date('2025-07-07T02:30Z') })
  assert.equal(held.ok, false)
  if (held.ok) return
  assert.deepEqual(quietHours({ messageType: 'MARKETING', recipient, now: held.releaseAt }), { ok: true })
})

test("a company's narrower window is intersected with the law's", () => {
  const recipient = resolveRecipientZone({ ...NY, companyZone: COMPANY_ZONE })
  const afternoon: Window = { start: 12 * 60, end: 20 * 60 }
  const now = new Date('2025-03-04T15:00Z')
  assert.deepEqual(quietHours({ messageType: 'MARKETING', recipient, now, companyWindow: afternoon }), {
    ok: false,
    reason: 'quiet_hours',
    releaseAt: new Date('2025-03-04T17:00Z'),
  })
})

const US = 'US'
const MT = 'America/Denver'
const CT = 'America/Chicago'
const ET = 'America/New_York'
const resolved: Array<[name: string, who: Who, expected: RecipientZone]> = [
  [
    'profile zone wins',
    { ...NY, profileZone: MT },
    { zones: [MT], country: US, regions: ['NY'], source: 'profile' },
  ],
  ['area code next', PANHANDLE, { zones: [CT, ET], country: US, regions: ['FL'], source: 'area_code' }],
  [
    'profile state joins',
    { ...NY, profileState: 'TX' },
    { zones: [ET], country: US, regions: ['NY', 'TX'], source: 'area_code' },
  ],
  [
    'malformed profile state',
    { ...NY, profileState: 'Texas' },
    { zones: [ET], country: US, regions: ['NY'], source: 'area_code' },
  ],
  [
    'Puerto Rico',
    phone('+17875550100'),
    { zones: ['America/Puerto_Rico'], country: 'PR', regions: ['PR'], source: 'area_code' },
  ],
  [
    'UK by country',
    phone('+447911123456'),
    { zones: ['Europe/London'], country: 'GB', regions: [], source: 'country' },
  ],
  [
    'France: company zone',
    phone('+33612345678'),
    { zones: [COMPANY_ZONE], country: null, regions: [], source: 'company' },
  ],
]
for (const [name, who, expected] of resolved) {
  test(`resolveRecipientZone: ${name}`, () =>
    assert.deepEqual(resolveRecipientZone({ ...who, companyZone: COMPANY_ZONE }), expected))
}
