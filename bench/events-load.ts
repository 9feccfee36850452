// The load generator of bench/events.bench.ts, in a process of its own. Unlike bench/lib/load-child.ts it sends a
// different event in every request (a pool of people, a counter in the properties), and it runs by request count,
// not by time, so every request sent is answered before it reports: the benchmark can then check that the events
// acknowledged are exactly the events stored. Prints one JSON line.
import autocannon from 'autocannon'

/** Options of autocannon this generator uses beyond those bench/lib/autocannon.d.ts declares. */
interface CountedOptions {
  amount: number
  overallRate?: number
  requests: Array<{
    setupRequest: (request: { body?: string }) => { body?: string }
    onResponse: (status: number, body: string) => void
  }>
}

/** What the parent asks for. */
export interface EventsLoadRequest {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  /** none: no body (the empty handler); custom: one custom event; batch: `batchSize` events per request. */
  body: 'none' | 'custom' | 'batch'
  batchSize: number
  /** People the events are spread over (clientUserId bench-0 … bench-<people-1>). */
  people: number
  /** Distinguishes runs, so a run's events never repeat another's. */
  runId: string
  connections: number
  /** Requests to send (each is answered before the run ends). */
  amount: number
  /** Requests per second over all connections; unset: as fast as answers come. */
  overallRate?: number
}

/** What the child reports. */
export interface EventsLoadResult {
  requests: number
  elapsedS: number
  requestsPerSec: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** Events the answers acknowledged: 2xx for a single event, results with status 200 for a batch. */
  acknowledged: number
}

let counter = 0
function customEvent(spec: EventsLoadRequest): Record<string, unknown> {
  const n = counter++
  return {
    type: 'Page Viewed',
    properties: { path: `/products/${n % 997}`, run: spec.runId, n },
    user: { externalIdentifiers: { clientUserId: `bench-${n % spec.people}` } },
  }
}

function bodyOf(spec: EventsLoadRequest): string | undefined {
  if (spec.body === 'custom') return JSON.stringify(customEvent(spec))
  if (spec.body === 'batch') {
    return JSON.stringify({ events: Array.from({ length: spec.batchSize }, () => ({ kind: 'custom', ...customEvent(spec) })) })
  }
  return undefined
}

const spec = JSON.parse(process.env.EVENTS_BENCH_LOAD ?? '{}') as EventsLoadRequest
let acknowledged = 0
const started = process.hrtime.bigint()
const options: Parameters<typeof autocannon>[0] & CountedOptions = {
  url: spec.url,
  method: spec.method,
  headers: spec.headers,
  connections: spec.connections,
  amount: spec.amount,
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  requests: [
    {
      setupRequest: (request) => {
        const body = bodyOf(spec)
        return body === undefined ? request : { ...request, body }
      },
      onResponse: (status, body) => {
        if (status < 200 || status >= 300) return
        if (spec.body !== 'batch') acknowledged++
        else acknowledged += (JSON.parse(body) as { results: Array<{ status: number }> }).results.filter((r) => r.status === 200).length
      },
    },
  ],
}
const result = await autocannon(options)
const elapsedS = Number(process.hrtime.bigint() - started) / 1e9
const report: EventsLoadResult = {
  requests: result.requests.total,
  elapsedS,
  requestsPerSec: result.requests.total / elapsedS,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  acknowledged,
}
process.stdout.write(`${JSON.stringify(report)}\n`)
