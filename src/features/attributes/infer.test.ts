import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AttributeType } from './attributes.schema.ts'
import { canonicalValue, inferType, type AttributeInput } from './infer.ts'

// ATTENTIVE_API.md §2.4's example properties and the edges of each type: [value, inferred type, stored text].
const cases: Array<[value: AttributeInput, type: AttributeType, stored: string]> = [
  ['24', 'NUMBER', '24'],
  ['1986-11-16', 'DATE', '1986-11-16'],
  ['2021-04-23T16:04:33Z', 'DATE', '2021-04-23T16:04:33Z'],
  ['Minnesota Vikings', 'STRING', 'Minnesota Vikings'],
  ['50.89', 'NUMBER', '50.89'],
  ['TRUE', 'BOOLEAN', 'true'],
  ['false', 'BOOLEAN', 'false'],
  [true, 'BOOLEAN', 'true'],
  [12.5, 'NUMBER', '12.5'],
  ['-0.5', 'NUMBER', '-0.5'],
  ['007', 'NUMBER', '7'],
  ['1e3', 'NUMBER', '1000'],
  ['2021-02-30', 'STRING', '2021-02-30'],
  ['2021-04-23T16:04:33+0000', 'DATE', '2021-04-23T16:04:33+0000'],
  ['2021-04-23T16:04', 'STRING', '2021-04-23T16:04'],
  ['12 apples', 'STRING', '12 apples'],
  ['', 'STRING', ''],
  ['yes', 'STRING', 'yes'],
]

for (const [value, type, stored] of cases) {
  test(`${JSON.stringify(value)} is a ${type} stored as ${JSON.stringify(stored)}`, () => {
    assert.equal(inferType(value), type)
    assert.deepEqual(canonicalValue(value, type), { value: stored, fits: true })
  })
}

test('a later value that does not fit the type is stored as sent and marked as not fitting', () => {
  assert.deepEqual(canonicalValue('n/a', 'NUMBER'), { value: 'n/a', fits: false })
  assert.deepEqual(canonicalValue('soon', 'DATE'), { value: 'soon', fits: false })
  assert.deepEqual(canonicalValue(3, 'BOOLEAN'), { value: '3', fits: false })
  assert.deepEqual(canonicalValue(3, 'STRING'), { value: '3', fits: true })
})
