// The load generator of bench/subscribe.bench.ts, in a process of its own. Every request subscribes a person no
// earlier request named: phone +1 212 2xx xxxx and an email, both numbered from `firstIndex` (every number of that
// block is valid in libphonenumber's full metadata, which the API checks). Runs by request count, so every request
// sent is answered before it reports, and the benchmark can count the 202s against the consents stored. Prints
// `measuring` when autocannon starts, then one JSON line.
import autocannon from 'autocannon'

/** Options of autocannon this generator uses beyond those bench/lib/autocannon.d.ts declares. */
interface CountedOptions {
  amount: number
  requests: Array<{
    setupRequest: (request: { body?: string }) => { body?: string }
    onResponse: (status: number, body: string) => void
  }>
}

/** What the parent asks for. */
export interface SubscribeLoadRequest {
  url: string
  headers: Record<string, string>
  signUpSourceId: string
  /** Number of the first person this run subscribes; the parent keeps runs' numbers apart. */
  firstIndex: number
  /** Part of every email address (the target's name), so a stored row tells which load made it. */
  tag: string
  connections: number
  /** Requests to send (each is answered before the run ends). */
  amount: number
}

/** What the child reports. */
export interface SubscribeLoadResult {
  requests: number
  elapsedS: number
  requestsPerSec: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** Answers with status 202: the subscribes the API accepted. */
  accepted: number
  /** Answers (2xx) that reported a subscription as PREVIOUSLY_CREATED: a person subscribed twice. */
  repeated: number
  /** One past the highest person number sent: where the next run starts. */
  nextIndex: number
}

/** The people a run can number: 212-200-0000 to 212-299-9999. */
const BLOCK = 1_000_000

const spec = JSON.parse(process.env.SUBSCRIBE_BENCH_LOAD ?? '{}') as SubscribeLoadRequest
let next = spec.firstIndex
let accepted = 0
let repeated = 0
// autocannon settles on its next one-second tick, not at the last answer: the run ends at the last answer.
let lastResponse = 0n

function bodyOf(index: number): string {
  if (index >= BLOCK) throw new Error(`person ${index} is past the ${BLOCK} numbers of +1 212 2xx xxxx`)
  return JSON.stringify({
    user: {
      phone: `+12122${String(index).padStart(6, '0')}`,
      email: `bench-${spec.tag}-${index}@example.com`,
    },
    signUpSourceId: spec.signUpSourceId,
  })
}

const options: Parameters<typeof autocannon>[0] & CountedOptions = {
  url: spec.url,
  method: 'POST',
  headers: { ...spec.headers, 'content-type': 'application/json' },
  connections: spec.connections,
  amount: spec.amount,
  requests: [
    {
      setupRequest: (request) => ({ ...request, body: bodyOf(next++) }),
      onResponse: (status, body) => {
        lastResponse = process.hrtime.bigint()
        if (status === 202) accepted++
        if (status >= 200 && status < 300 && body.includes('PREVIOUSLY_CREATED')) repeated++
      },
    },
  ],
}
process.stdout.write('measuring\n')
const started = process.hrtime.bigint()
const result = await autocannon(options)
const elapsedS = Number((lastResponse > started ? lastResponse : process.hrtime.bigint()) - started) / 1e9
const report: SubscribeLoadResult = {
  requests: result.requests.total,
  elapsedS,
  requestsPerSec: result.requests.total / elapsedS,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  accepted,
  repeated,
  nextIndex: next,
}
process.stdout.write(`${JSON.stringify(report)}\n`)
