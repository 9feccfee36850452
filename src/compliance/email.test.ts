import assert from 'node:assert/strict'
import { test } from 'node:test'
import { normaliseEmail } from './email.ts'

// [input, the stored address and key when accepted, or the start of the refusal reason] (COMPLIANCE.md §5.2).
const cases: Array<[input: string, expected: { email: string; key: string } | { refused: string }]> = [
  ['test@gmail.com', { email: 'test@gmail.com', key: 'test@gmail.com' }],
  ['  Jane.Doe+news@Example.COM ', { email: 'Jane.Doe+news@Example.COM', key: 'jane.doe+news@example.com' }],
  ["o'brien@mail.example.co.uk", { email: "o'brien@mail.example.co.uk", key: "o'brien@mail.example.co.uk" }],
  ['josé@bücher.example', { email: 'josé@bücher.example', key: 'josé@bücher.example' }],
  ['', { refused: 'is empty' }],
  ['plainaddress', { refused: 'must contain exactly one @' }],
  ['a@b@example.com', { refused: 'must contain exactly one @' }],
  ['@example.com', { refused: 'must contain exactly one @' }],
  ['name@localhost', { refused: 'must have a dotted domain' }],
  ['name@-bad.example', { refused: 'must have a dotted domain' }],
  ['name@example..com', { refused: 'must have a dotted domain' }],
  ['na me@example.com', { refused: 'has a malformed part' }],
  ['.name@example.com', { refused: 'has a malformed part' }],
  ['name..x@example.com', { refused: 'has a malformed part' }],
  [`${'a'.repeat(250)}@example.com`, { refused: 'is longer than 254' }],
]

for (const [input, expected] of cases) {
  test(`normaliseEmail ${'key' in expected ? 'accepts' : 'refuses'} ${JSON.stringify(input.slice(0, 40))}`, () => {
    const result = normaliseEmail(input)
    if ('key' in expected) assert.deepEqual(result, { ok: true, ...expected })
    else {
      assert.equal(result.ok, false, JSON.stringify(result))
      if (!result.ok) assert.ok(result.reason.startsWith(expected.refused), result.reason)
    }
  })
}

test('identity fields are limited to 100 characters', () => {
  const result = normaliseEmail(`${'a'.repeat(95)}@example.com`, 100)
  assert.equal(result.ok, false)
})
