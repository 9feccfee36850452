// A worker in a process of its own, for the test that kills one with SIGKILL mid-job:
//   node --import tsx test/helpers/queue-worker-process.ts <database url> <worker id> <lease ms>
// Its one handler, `test.block`, prints "running <job id>" and then never finishes, so the job stays claimed
// and its transaction open until the process dies.
import { systemClock } from '../../src/clock.ts'
import { createDb, createPool } from '../../src/db/connect.ts'
import { startWorker } from '../../src/queue/runner.ts'

const [url, workerId, leaseMs] = process.argv.slice(2)
if (!url || !workerId || !leaseMs) {
  console.error('usage: queue-worker-process.ts <database url> <worker id> <lease ms>')
  process.exit(2)
}

const db = createDb(createPool(url, { max: 3 }))
const silent = { info() {}, warn() {}, error() {} }
startWorker({
  db,
  clock: systemClock,
  log: silent,
  workerId,
  leaseMs: Number(leaseMs),
  concurrency: 1,
  pollIntervalMs: 20,
  handlers: {
    'test.block': async (job) => {
      console.log(`running ${job.id}`)
      await new Promise(() => {})
    },
  },
})
