import assert from 'node:assert/strict'
import { test } from 'node:test'
import { countryAllowed, type CountryResult } from './countries.ts'

const allowed = (country: string): CountryResult => ({ ok: true, country })
const refused = (country: string | null): CountryResult => ({
  ok: false,
  reason: 'country_not_enabled',
  country,
})
const INVALID: CountryResult = { ok: false, reason: 'invalid_number' }
const DEFAULT = undefined

// COMPLIANCE.md §2.3 (observed with libphonenumber-js 1.13.16): [number, enabled countries, expected].
const cases: Array<[e164: string, enabled: string[] | undefined, expected: CountryResult]> = [
  // the default US, CA, GB
  ['+12125550100', DEFAULT, allowed('US')],
  ['+18005550100', DEFAULT, allowed('US')],
  ['+14165550100', DEFAULT, allowed('CA')],
  ['+12265550100', DEFAULT, allowed('CA')],
  ['+13065550100', DEFAULT, allowed('CA')],
  ['+17097220100', DEFAULT, allowed('CA')],
  ['+16002345678', DEFAULT, allowed('CA')],
  ['+447400123456', DEFAULT, allowed('GB')],
  ['+442071838750', DEFAULT, allowed('GB')],
  // +1 is shared: NANP numbers of other countries and US territories are not "US"
  ['+14412921234', DEFAULT, refused('BM')],
  ['+18765550100', DEFAULT, refused('JM')],
  ['+18095550100', DEFAULT, refused('DO')],
  ['+12423221234', DEFAULT, refused('BS')],
  ['+17875550100', DEFAULT, refused('PR')],
  ['+19395550100', DEFAULT, refused('PR')],
  ['+13405550100', DEFAULT, refused('VI')],
  ['+16715550100', DEFAULT, refused('GU')],
  ['+16705550100', DEFAULT, refused('MP')],
  // +44 is shared: the Crown Dependencies are not "GB"
  ['+447911123456', DEFAULT, refused('GG')],
  ['+447624123456', DEFAULT, refused('IM')],
  ['+447797123456', DEFAULT, refused('JE')],
  // other countries
  ['+33612345678', DEFAULT, refused('FR')],
  ['+8613800138000', DEFAULT, refused('CN')],
  // a company enables more, or fewer
  ['+17875550100', ['US', 'PR'], allowed('PR')],
  ['+447911123456', ['GB', 'GG', 'JE', 'IM'], allowed('GG')],
  ['+33612345678', ['US', 'CA', 'GB', 'FR'], allowed('FR')],
  ['+14165550100', ['US'], refused('CA')],
  ['+12125550100', [], refused('US')],
  ['+447400123456', ['uk'], allowed('GB')],
  ['+12125550100', ['us'], allowed('US')],
  // not valid numbers
  ['+447700900123', DEFAULT, INVALID],
  ['+15555555555', DEFAULT, INVALID],
  ['12125550100', DEFAULT, INVALID],
  ['+1 212 555 0100', DEFAULT, INVALID],
  ['', DEFAULT, INVALID],
  ['+0123456789', DEFAULT, INVALID],
]
for (const [e164, enabled, expected] of cases) {
  test(`countryAllowed ${JSON.stringify(e164)} with ${enabled ? `[${enabled.join(',')}]` : 'the default'}`, () =>
    assert.deepEqual(countryAllowed(e164, enabled), expected))
}
