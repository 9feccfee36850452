// A message dispatcher in a process of its own, for the test that kills one with SIGKILL mid-hand-off:
//   node --import tsx test/helpers/dispatch-worker-process.ts <database url> <clock ISO time>
// With ATTUNE_TEST_KILL_AFTER_HANDOFF=1 it kills itself with SIGKILL right after the sandbox carrier accepted a
// batch and before that is recorded: the messages stay `sending`, as after a crash at the worst moment.
import { ManualClock } from '../../src/clock.ts'
import { createDb, createPool } from '../../src/db/connect.ts'
import { SandboxCarrier } from '../../src/carriers/sandbox.ts'
import { startMessageDispatcher } from '../../src/features/messages/dispatcher.ts'

const [url, at] = process.argv.slice(2)
if (!url || !at) {
  console.error('usage: dispatch-worker-process.ts <database url> <clock ISO time>')
  process.exit(2)
}

const db = createDb(createPool(url, { max: 4 }))
const clock = new ManualClock(at)
const killAfterHandOff = process.env.ATTUNE_TEST_KILL_AFTER_HANDOFF === '1'
startMessageDispatcher({
  db,
  clock,
  log: { info() {}, warn: console.error, error: console.error },
  carrier: new SandboxCarrier({ db, clock }),
  loops: 1,
  pollIntervalMs: 20,
  afterHandOff: (ids) => {
    console.log(`handed off ${ids.join(',')}`)
    if (killAfterHandOff) process.kill(process.pid, 'SIGKILL')
  },
})
