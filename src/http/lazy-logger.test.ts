import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import pino from 'pino'
import { lazyChildLoggerFactory } from './lazy-logger.ts'

function capture(level: string) {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>)
      callback()
    },
  })
  return { lines, log: pino({ level }, stream) }
}

test('a request logger writes enabled levels with the request id and drops the others', async () => {
  const { lines, log } = capture('info')
  const child = lazyChildLoggerFactory(log, { reqId: 'r-1' }, {})
  child.debug('not at info')
  child.info({ order: 7 }, 'shown')
  child.error('failed')
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(
    lines.map((line) => [line.level, line.reqId, line.msg, line.order]),
    [
      [30, 'r-1', 'shown', 7],
      [50, 'r-1', 'failed', undefined],
    ],
  )
})

test('a child of the request logger keeps the request id', async () => {
  const { lines, log } = capture('debug')
  lazyChildLoggerFactory(log, { reqId: 'r-2' }, {}).child({ job: 'x' }).debug('nested')
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(lines[0]?.reqId, 'r-2')
  assert.equal(lines[0]?.job, 'x')
})
