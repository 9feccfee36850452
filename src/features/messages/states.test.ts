import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MessageState } from './messages.schema.ts'
import { canMove, predecessorsOf } from './states.ts'

const cases: Array<[from: MessageState, to: MessageState, allowed: boolean]> = [
  ['queued', 'sending', true],
  ['queued', 'held', true],
  ['queued', 'suppressed', true],
  ['queued', 'delivered', false],
  ['queued', 'sent', false],
  ['held', 'held', true],
  ['held', 'sending', true],
  ['held', 'queued', false],
  ['sending', 'sending', true],
  ['sending', 'sent', true],
  ['sending', 'delivered', true],
  ['sending', 'suppressed', true],
  ['sending', 'queued', false],
  ['sent', 'sending', false],
  ['sent', 'suppressed', false],
  ['sent', 'held', false],
  ['sent', 'delivered', true],
  ['sent', 'unknown', true],
  ['unknown', 'delivered', true],
  ['unknown', 'sent', false],
  ['delivered', 'undelivered', false],
  ['delivered', 'sent', false],
  ['delivered', 'delivered', false],
  ['undelivered', 'delivered', false],
  ['failed', 'sending', false],
  ['suppressed', 'sending', false],
  ['suppressed', 'queued', false],
]
for (const [from, to, allowed] of cases) {
  test(`a message ${from} ${allowed ? 'may' : 'may not'} move to ${to}`, () =>
    assert.equal(canMove(from, to), allowed))
}

test('a receipt may finish a message only while it is sending, sent or unknown', () => {
  assert.deepEqual(predecessorsOf('delivered').sort(), ['sending', 'sent', 'unknown'])
})
