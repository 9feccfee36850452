import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { knownAreaCodes, lookupAreaCode, type AreaCode } from './area-codes.ts'

const ET = 'America/New_York'
const CT = 'America/Chicago'
const MT = 'America/Denver'

// [number, expected lookup] — the splits and the zones COMPLIANCE.md §1.8 and §4.7.8 single out.
const cases: Array<[e164: string, expected: Omit<AreaCode, 'npa'> | undefined]> = [
  ['+12125550100', { country: 'US', regions: ['NY'], zones: [ET] }],
  ['+18504440100', { country: 'US', regions: ['FL'], zones: [CT, ET] }],
  ['+14482220100', { country: 'US', regions: ['FL'], zones: [CT, ET] }],
  ['+13055550100', { country: 'US', regions: ['FL'], zones: [ET] }],
  ['+16895550100', { country: 'US', regions: ['FL'], zones: [ET] }],
  ['+16025550100', { country: 'US', regions: ['AZ'], zones: ['America/Phoenix'] }],
  ['+14805550100', { country: 'US', regions: ['AZ'], zones: ['America/Phoenix'] }],
  ['+15205550100', { country: 'US', regions: ['AZ'], zones: ['America/Phoenix'] }],
  ['+16235550100', { country: 'US', regions: ['AZ'], zones: ['America/Phoenix'] }],
  ['+19285550100', { country: 'US', regions: ['AZ'], zones: ['America/Phoenix', MT] }],
  ['+13065550100', { country: 'CA', regions: ['SK'], zones: ['America/Regina', 'America/Edmonton'] }],
  ['+16395550100', { country: 'CA', regions: ['SK'], zones: ['America/Regina', 'America/Edmonton'] }],
  ['+14745550100', { country: 'CA', regions: ['SK'], zones: ['America/Regina', 'America/Edmonton'] }],
  ['+17097220100', { country: 'CA', regions: ['NL'], zones: ['America/St_Johns', 'America/Goose_Bay'] }],
  ['+18795550100', { country: 'CA', regions: ['NL'], zones: ['America/St_Johns', 'America/Goose_Bay'] }],
  ['+19155550100', { country: 'US', regions: ['TX'], zones: [MT] }],
  ['+12145550100', { country: 'US', regions: ['TX'], zones: [CT] }],
  ['+19065550100', { country: 'US', regions: ['MI'], zones: [ET, CT] }],
  ['+12085550100', { country: 'US', regions: ['ID'], zones: [MT, 'America/Los_Angeles'] }],
  ['+19075550100', { country: 'US', regions: ['AK'], zones: ['America/Anchorage', 'America/Adak'] }],
  [
    '+18675550100',
    {
      country: 'CA',
      regions: ['YT', 'NT', 'NU'],
      zones: ['America/Whitehorse', 'America/Edmonton', 'America/Winnipeg', 'America/Toronto'],
    },
  ],
  ['+19025550100', { country: 'CA', regions: ['NS', 'PE'], zones: ['America/Halifax'] }],
  ['+17875550100', { country: 'PR', regions: ['PR'], zones: ['America/Puerto_Rico'] }],
  ['+14412921234', { country: 'BM', regions: ['BM'], zones: ['Atlantic/Bermuda'] }],
  ['+12025550100', { country: 'US', regions: ['DC'], zones: [ET] }],
  // no zone from the number: toll-free, personal, Canada's non-geographic 600, other countries, malformed
  ['+18005550100', undefined],
  ['+18885550100', undefined],
  ['+15005550100', undefined],
  ['+16005550100', undefined],
  ['+447911123456', undefined],
  ['+1212555010', undefined],
  ['+12121550100', undefined],
  ['12125550100', undefined],
]
for (const [e164, expected] of cases) {
  test(`lookupAreaCode ${e164}`, () => {
    const found = lookupAreaCode(e164)
    assert.deepEqual(
      found && { country: found.country, regions: found.regions, zones: found.zones },
      expected,
    )
  })
}

test('every zone in the table is an IANA zone this runtime knows', () => {
  for (const code of knownAreaCodes()) {
    for (const zone of code.zones)
      assert.doesNotThrow(() => new Intl.DateTimeFormat('en-US', { timeZone: zone }), zone)
  }
})

test('every area code of the stricter states of COMPLIANCE.md §1.8 maps to its state', () => {
  const byState = new Map<string, string[]>()
  for (const code of knownAreaCodes()) {
    for (const region of code.regions) byState.set(region, [...(byState.get(region) ?? []), code.npa])
  }
  assert.deepEqual(
    byState.get('FL')?.sort(),
    '239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 954'.split(' '),
  )
  assert.deepEqual(byState.get('OK')?.sort(), ['405', '539', '572', '580', '918'])
  assert.deepEqual(byState.get('MD')?.sort(), ['227', '240', '301', '410', '443', '667'])
  assert.deepEqual(byState.get('WA')?.sort(), ['206', '253', '360', '425', '509', '564'])
  assert.deepEqual(byState.get('CT')?.sort(), ['203', '475', '860', '959'])
  assert.equal(byState.get('TX')?.length, 28)
})

// Every geographic US and Canadian area code that libphonenumber-js accepts must be in the table (else a valid
// number would silently fall back to the company's zone), with the same country.
test('the table covers every geographic US/CA area code libphonenumber-js accepts, with its country', () => {
  const nonGeographic = new Set([
    '500',
    '521',
    '522',
    '523',
    '524',
    '525',
    '526',
    '527',
    '528',
    '529',
    '532',
    '533',
    '544',
    '566',
    '577',
    '588',
    '600',
    '622',
    '633',
    '800',
    '833',
    '844',
    '855',
    '866',
    '877',
    '888',
    '900',
  ])
  const missing: string[] = []
  for (let npa = 200; npa <= 999; npa++) {
    const code = String(npa)
    if (nonGeographic.has(code)) continue
    const countries = new Set<string>()
    for (const line of ['2345678', '4561234', '5550123', '7894321', '9871234']) {
      const parsed = parsePhoneNumberFromString(`+1${code}${line}`)
      if (parsed?.isValid() && parsed.country) countries.add(parsed.country)
    }
    const country = countries.has('US') ? 'US' : countries.has('CA') ? 'CA' : undefined
    // 273 is assigned to Canada in libphonenumber-js but not yet to a province in any source we have.
    if (!country || code === '273') continue
    const found = lookupAreaCode(`+1${code}2345678`)
    if (found?.country !== country) missing.push(`${code}:${country}`)
  }
  assert.deepEqual(missing, [])
})
