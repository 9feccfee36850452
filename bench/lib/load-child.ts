// The load generator's own process (spawned by bench/lib/load.ts), so it never shares an event loop with the
// server it measures. Prints `measuring` when the warm-up ends and the measured run starts, then one JSON line.
import autocannon from 'autocannon'
import type { LoadRequest } from './load.ts'

const request = JSON.parse(process.argv[2] ?? '{}') as LoadRequest
const instance = autocannon({
  url: request.url,
  method: request.method,
  headers: request.headers,
  ...(request.body !== undefined ? { body: request.body } : {}),
  connections: request.connections,
  duration: request.durationS,
  ...(request.warmupS > 0 ? { warmup: { connections: request.connections, duration: request.warmupS } } : {}),
})
// With a warm-up, `start` fires on this instance only when the measured run begins.
instance.on('start', () => process.stdout.write('measuring\n'))
const result = await instance
process.stdout.write(
  `${JSON.stringify({
    requestsPerSec: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    durationS: result.duration,
  })}\n`,
)
