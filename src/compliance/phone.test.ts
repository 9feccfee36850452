import assert from 'node:assert/strict'
import { test } from 'node:test'
import { normalisePhone } from './phone.ts'

// COMPLIANCE.md §5.1 ("observed with libphonenumber-js 1.13.16") and ATTENTIVE_API.md §1.7, one row per case:
// [input, default country, E.164 when accepted or the start of the refusal reason].
const cases: Array<[input: string, country: string, expected: { e164: string } | { refused: string }]> = [
  // national formats in the default country are accepted and normalised (seed 004 sends "7707651750")
  ['7707651750', 'US', { e164: '+17707651750' }],
  ['(770) 765-1750', 'US', { e164: '+17707651750' }],
  ['17707651750', 'US', { e164: '+17707651750' }],
  ['770.765.1750', 'US', { e164: '+17707651750' }],
  ['  +1 (770) 765-1750 ', 'US', { e164: '+17707651750' }],
  ['19148440001', 'US', { e164: '+19148440001' }],
  // E.164 as Attentive documents it
  ['+19148440001', 'US', { e164: '+19148440001' }],
  ['+442071838750', 'US', { e164: '+442071838750' }],
  ['+551155256325', 'US', { e164: '+551155256325' }],
  ['+447911123456', 'US', { e164: '+447911123456' }],
  // full-width and Arabic-Indic digits, tel: URIs, international dialling prefixes
  ['７７０７６５１７５０', 'US', { e164: '+17707651750' }],
  ['٧٧٠٧٦٥١٧٥٠', 'US', { e164: '+17707651750' }],
  ['tel:+1-770-765-1750', 'US', { e164: '+17707651750' }],
  ['001 770 765 1750', 'GB', { e164: '+17707651750' }],
  ['011 44 7911 123456', 'US', { e164: '+447911123456' }],
  ['020 7183 8750', 'GB', { e164: '+442071838750' }],
  // libphonenumber passes these; Attune leaves them to carrier lookup (COMPLIANCE.md §5.1)
  ['+1 212 911 1234', 'US', { e164: '+12129111234' }],
  ['+1 201 555 0123', 'US', { e164: '+12015550123' }],
  // text around the number: libphonenumber would extract +17707651750
  ['Call 770-765-1750 now', 'US', { refused: 'contains letters' }],
  ['my number is 7707651750', 'US', { refused: 'contains letters' }],
  // 555 numbers: NPA 555 is not assigned (Attentive's own doc example must be a 400)
  ['555-555-5555', 'US', { refused: 'is not a valid phone number' }],
  ['+15555555555', 'US', { refused: 'is not a valid phone number' }],
  ['555-1234', 'US', { refused: 'is too short' }],
  // vanity numbers
  ['1-800-FLOWERS', 'US', { refused: 'contains letters' }],
  ['1-800-356-9377 FLOWERS', 'US', { refused: 'contains letters' }],
  // extensions
  ['+17707651750 ext. 12', 'US', { refused: 'has an extension' }],
  ['+17707651750x12', 'US', { refused: 'has an extension' }],
  ['770-765-1750 #12', 'US', { refused: 'has an extension' }],
  ['tel:+17707651750;ext=12', 'US', { refused: 'has tel: URI parameters' }],
  // Attentive's malformed examples, the UK range libphonenumber marks invalid, and non-numbers
  ['+1---914---844---0001', 'US', { refused: 'contains characters' }],
  ['1 () 914 844 0001', 'US', { refused: 'contains characters' }],
  ['+44 7700 900123', 'US', { refused: 'is not a valid phone number' }],
  ['0044 20 7183 8750', 'US', { refused: 'is too long' }],
  ['', 'US', { refused: 'is empty' }],
  ['+', 'US', { refused: 'contains characters' }],
  ['770_765_1750', 'US', { refused: 'contains characters' }],
  ['+1770765175012345678', 'US', { refused: 'is not a phone number' }],
]

for (const [input, country, expected] of cases) {
  const what = 'e164' in expected ? `accepts as ${expected.e164}` : `refuses (${expected.refused})`
  test(`normalisePhone ${what}: ${JSON.stringify(input)} in ${country}`, () => {
    const result = normalisePhone(input, country)
    if ('e164' in expected) assert.deepEqual(result, { ok: true, e164: expected.e164 })
    else {
      assert.equal(result.ok, false, JSON.stringify(result))
      if (!result.ok) assert.ok(result.reason.startsWith(expected.refused), result.reason)
    }
  })
}

test('the default country is US when none or an unknown one is given', () => {
  assert.deepEqual(normalisePhone('(770) 765-1750'), { ok: true, e164: '+17707651750' })
  assert.deepEqual(normalisePhone('(770) 765-1750', 'ZZ'), { ok: true, e164: '+17707651750' })
})
