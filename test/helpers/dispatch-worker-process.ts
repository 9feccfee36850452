// A message dispatcher in a process of its own, for the crash test and the messaging benchmark:
//   node --import tsx test/helpers/dispatch-worker-process.ts <database url> <clock ISO time> [<wall ms>]
// Its clock reads <clock ISO time> at wall-clock instant <wall ms> (default: its start) and runs at real speed,
// so several processes given the same pair agree on "now". ATTUNE_MESSAGE_BATCH_SIZE, ATTUNE_MESSAGE_DISPATCHERS
// and ATTUNE_SANDBOX_RECEIPT_DELAY_MS tune it as they tune `attune worker`. It prints "ready" once started.
// With ATTUNE_TEST_KILL_AFTER_HANDOFF=1 it kills itself with SIGKILL right after the sandbox carrier accepted a
// batch and before that is recorded: the messages stay `sending`, as after a crash at the worst moment.
import { createClient, createDb, createPool } from '../../src/db/connect.ts'
import { SandboxCarrier } from '../../src/carriers/sandbox.ts'
import { startMessageDispatcher } from '../../src/features/messages/dispatcher.ts'

const [url, at, wall] = process.argv.slice(2)
if (!url || !at) {
  console.error('usage: dispatch-worker-process.ts <database url> <clock ISO time> [<wall ms>]')
  process.exit(2)
}

const anchor = new Date(at).getTime()
const wallAnchor = wall ? Number(wall) : Date.now()
const clock = { now: () => new Date(anchor + (Date.now() - wallAnchor)) }
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const loops = number('ATTUNE_MESSAGE_DISPATCHERS', 1)
const db = createDb(createPool(url, { max: loops + 3 }))
const killAfterHandOff = process.env.ATTUNE_TEST_KILL_AFTER_HANDOFF === '1'
const dispatcher = startMessageDispatcher({
  db,
  clock,
  log: { info() {}, warn: console.error, error: console.error },
  carrier: new SandboxCarrier({ db, clock, receiptDelayMs: number('ATTUNE_SANDBOX_RECEIPT_DELAY_MS', 1000) }),
  loops,
  batchSize: number('ATTUNE_MESSAGE_BATCH_SIZE', 500),
  pollIntervalMs: 20,
  listen: () => createClient(url, 'attune-dispatch-listen'),
  afterHandOff: (ids) => {
    if (!killAfterHandOff) return
    console.log(`handed off ${ids.join(',')}`)
    process.kill(process.pid, 'SIGKILL')
  },
})
console.log('ready')
process.once('SIGTERM', () => {
  void dispatcher
    .stop()
    .then(() => db.destroy())
    .then(() => process.exit(0))
})
