import Type from 'typebox'
import type { App } from '../src/app.ts'
import { startAttuneInProcess, startAttuneServe, type BenchApp } from './lib/attune.ts'
import { startEmptyFastify } from './lib/baseline.ts'
import type { BenchContext } from './lib/context.ts'
import type { LoadResult } from './lib/load.ts'
import { footprint, idleMemorySection, importCosts } from './lib/memory.ts'
import { sleep } from './lib/processes.ts'
import { createPairing, type Pair, type Paired } from './lib/pairing.ts'
import { formatLoad, percent, type Row, type Section } from './lib/report.ts'

/** One line under the heading in BENCHMARKS.md. */
export const description = 'authenticated API requests against an empty Fastify handler, and idle memory'

/** An authenticated request must keep at least this share of an empty Fastify handler's capacity. */
const THROUGHPUT_TARGET = 0.7
/** `attune serve` (node and its PostgreSQL), idle, must stay within this many kB. */
const IDLE_RSS_TARGET_KB = 150 * 1024
/** Time left for a process to settle (lazy initialisation, GC) before its idle memory is read. */
const SETTLE_MS = 3000
/** Loaded one by one to attribute the node process's memory; Attune's own code comes last. */
const MODULES = [
  'fastify',
  'pino',
  'pg',
  'kysely',
  'typebox',
  'ajv',
  'prom-client',
  '@fastify/swagger',
  'libphonenumber-js',
  '@scalar/fastify-api-reference',
  // src/ as bin/attune.js bundles it (built when `attune serve` starts above); importing it loads the rest.
  './dist/attune.mjs',
]

const NoopBodySchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  count: Type.Integer({ minimum: 0, maximum: 1000 }),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 10 })),
})
const NOOP_BODY = JSON.stringify({ name: 'bench', count: 1, tags: ['a', 'b'] })
const EmptySchema = Type.Object({})

/**
 * Routes that exist only inside the benchmark. `/v1/bench/noop` is the whole pipeline of a write (key auth,
 * scope, rate limiter, JSON parsing, body validation, metrics) and nothing after it. `open` and `auth` answer
 * `{}` without and with key auth, to split the cost of a request between the app's hooks and authentication.
 */
function addBenchRoutes(app: App): void {
  const response = { 200: EmptySchema }
  app.get('/v1/bench/open', { schema: { response } }, async () => ({}))
  app.get('/v1/bench/auth', { config: { auth: 'key' }, schema: { response } }, async () => ({}))
  app.post(
    '/v1/bench/noop',
    { config: { auth: 'key', scope: 'events:write' }, schema: { body: NoopBodySchema, response } },
    async () => ({}),
  )
}

async function measureApp(pair: Pair, app: BenchApp, pid: number, mode: string) {
  const auth = { authorization: `Bearer ${app.apiKey}` }
  const me = await pair(`GET /v1/me, ${mode}`, `${app.url}/v1/me`, { headers: auth, serverPid: pid })
  const noop = await pair(`POST /v1/bench/noop, ${mode}`, `${app.url}/v1/bench/noop`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: NOOP_BODY,
    serverPid: pid,
  })
  return { me, noop }
}

/** The stages of a request, each measured against the empty GET handler beside it. */
interface Breakdown {
  emptyPost: Paired
  open: Paired
  auth: Paired
  me: Paired
  noop: Paired
}

export async function run(ctx: BenchContext): Promise<Section[]> {
  const { child: baselineChild, url: baselineUrl } = await startEmptyFastify()
  ctx.defer(() => baselineChild.stop())
  await fetch(baselineUrl).then((response) => response.text())
  await sleep(SETTLE_MS)
  const baselineIdle = footprint(baselineChild.pid)
  const serverPid = baselineChild.pid
  const { pair, baselineRuns } = createPairing(ctx, {
    what: 'empty Fastify handler',
    url: baselineUrl,
    options: { serverPid },
  })

  ctx.log('starting the app in-process on the embedded store')
  const embeddedApp = await startAttuneInProcess({
    dataDir: await ctx.tempDir('embedded'),
    extend: addBenchRoutes,
  })
  ctx.defer(() => embeddedApp.close())
  const embedded = await measureApp(pair, embeddedApp, process.pid, 'embedded store')
  const auth = { authorization: `Bearer ${embeddedApp.apiKey}` }
  const breakdown: Breakdown = {
    ...embedded,
    emptyPost: await pair('empty Fastify POST handler', baselineUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: NOOP_BODY,
      serverPid,
    }),
    open: await pair('route without auth', `${embeddedApp.url}/v1/bench/open`, { serverPid: process.pid }),
    auth: await pair('route with key auth', `${embeddedApp.url}/v1/bench/auth`, {
      headers: auth,
      serverPid: process.pid,
    }),
  }
  await embeddedApp.close()

  ctx.log('starting the app in-process on an external PostgreSQL')
  const externalApp = await startAttuneInProcess({
    dataDir: await ctx.tempDir('unused'),
    databaseUrl: await ctx.externalPostgresUrl(),
    extend: addBenchRoutes,
  })
  ctx.defer(() => externalApp.close())
  const external = await measureApp(pair, externalApp, process.pid, 'external PostgreSQL')
  await externalApp.close()

  ctx.log('starting `attune serve` on an empty data directory')
  const serve = await startAttuneServe(await ctx.tempDir('serve'))
  ctx.defer(() => serve.close())
  await sleep(SETTLE_MS)
  const serveIdle = footprint(serve.child.pid)
  const served = await pair('GET /v1/me, attune serve', `${serve.url}/v1/me`, {
    headers: { authorization: `Bearer ${serve.apiKey}` },
    serverPid: serve.child.pid,
  })
  await serve.close()
  await baselineChild.stop()

  ctx.log('loading modules one by one')
  const costs = await importCosts(MODULES)
  const rows = [
    throughputRow('GET /v1/me, embedded store', embedded.me),
    throughputRow('POST /v1/bench/noop, embedded store', embedded.noop),
    throughputRow('GET /v1/me, external PostgreSQL', external.me),
    throughputRow('POST /v1/bench/noop, external PostgreSQL', external.noop),
    throughputRow('GET /v1/me, a real `attune serve` (embedded, workers running)', served),
  ]
  return [
    throughputSection(rows, breakdown, baselineRuns),
    breakdownSection(breakdown),
    idleMemorySection({
      idle: serveIdle,
      baseline: baselineIdle,
      imports: costs,
      settleMs: SETTLE_MS,
      targetKb: IDLE_RSS_TARGET_KB,
    }),
  ]
}

const cpu = (result: LoadResult) => result.cpuUsPerRequest ?? 0
/** Server CPU per request that a figure adds to the empty GET handler measured beside it. */
const added = (paired: Paired) => cpu(paired.result) - cpu(paired.baseline)
const us = (value: number) => `${Math.round(value)} µs`
const formatRate = (runs: LoadResult[], pick: (...values: number[]) => number) =>
  Math.round(pick(...runs.map((run) => run.requestsPerSec))).toLocaleString('en-US')

function throughputRow(what: string, { result, baseline }: Paired): Row {
  return {
    what,
    figure: formatLoad(result),
    baseline: formatLoad(baseline),
    ratio: `${percent(cpu(baseline), cpu(result))} capacity · ${percent(result.requestsPerSec, baseline.requestsPerSec)} req/s`,
    target: `≥ ${THROUGHPUT_TARGET * 100} % capacity`,
    met: cpu(baseline) / cpu(result) >= THROUGHPUT_TARGET,
  }
}

function throughputSection(rows: Row[], stages: Breakdown, baselineRuns: LoadResult[]): Section {
  const spread = baselineRuns.map(cpu)
  const notes = [
    `Noise: the empty handler's CPU/req ranged ${us(Math.min(...spread))}–${us(Math.max(...spread))} over this ` +
      `run's ${spread.length} baseline runs, req/s ${formatRate(baselineRuns, Math.min)}–` +
      `${formatRate(baselineRuns, Math.max)}. Ratios move by about that much between runs on a busy machine.`,
    'The store does not show in these figures: a cached key costs no query (src/http/key-cache.ts), so the ' +
      'embedded and external rows differ by noise only.',
  ]
  if (rows.some((row) => row.met === false)) {
    const budget = cpu(stages.me.baseline) / THROUGHPUT_TARGET - cpu(stages.me.baseline)
    notes.push(
      `What bounds it: the target leaves Attune ${us(budget)} of CPU per request on top of the empty handler's ` +
        `${us(cpu(stages.me.baseline))}. GET /v1/me adds ${us(added(stages.me))} and the no-op write ` +
        `${us(added(stages.noop))}; of the write's, ${us(added(stages.emptyPost))} is what any Fastify POST pays ` +
        'to read and parse a body (the empty POST handler against the empty GET). The next table splits the rest.',
    )
  }
  return {
    title: 'Authenticated requests against an empty Fastify handler',
    intro:
      'Baseline: `fastify().get("/", async () => ({}))`, same Fastify version, in a process of its own, measured ' +
      'just before and just after each figure (the mean is shown). The Attune rows run the real app ' +
      '(`buildApp`, LOG_LEVEL=warn, on a store migrated as `attune serve` does) with a company key whose rate ' +
      'limit is raised so the limiter counts every request but refuses none. `POST /v1/bench/noop` exists only ' +
      'in the benchmark: key auth, scope `events:write`, rate limiter, a JSON body validated by a TypeBox schema, ' +
      "answering `{}`. CPU/req is the serving process's user + system CPU time over the requests it answered. " +
      "**Capacity** is the baseline's CPU/req over the figure's: the share of the empty handler's rate that one " +
      'core sustains, which the target is judged on. On 2 cores the load generator takes one, so req/s is bounded ' +
      'by the client as much as by the server (the empty handler keeps its core only partly busy) and its ratio ' +
      'flatters the slower server; it is shown beside.',
    rows,
    notes,
  }
}

function breakdownSection(stages: Breakdown): Section {
  const steps: Array<[what: string, paired: Paired, adds: string, cost: number]> = [
    [
      'empty Fastify POST, same JSON body',
      stages.emptyPost,
      'reading and parsing a body',
      added(stages.emptyPost),
    ],
    [
      'Attune, a route without auth answering `{}`',
      stages.open,
      'request id, pino child logger, content-type and metrics hooks',
      added(stages.open),
    ],
    [
      'the same with key auth',
      stages.auth,
      'bearer parsing, key hash and cache lookup, rate limiter, x-ratelimit-* headers',
      added(stages.auth) - added(stages.open),
    ],
    ['GET /v1/me', stages.me, 'the handler and its response schema', added(stages.me) - added(stages.auth)],
    [
      'POST /v1/bench/noop',
      stages.noop,
      "scope check, Attune's JSON parser, Ajv validation, beyond what the empty POST pays",
      added(stages.noop) - added(stages.auth) - added(stages.emptyPost),
    ],
  ]
  return {
    title: 'Where the CPU of a request goes (embedded store)',
    intro:
      'Server CPU per request, each against the empty GET handler measured beside it; the ratio column is what ' +
      'the row adds to it. Each row adds one stage to the one before (the write adds its body to the auth route), ' +
      "so the differences attribute the cost; a difference under about 2 µs is within this machine's noise.",
    rows: steps.map(([what, paired]) => ({
      what,
      figure: `${us(cpu(paired.result))} CPU/req`,
      baseline: `${us(cpu(paired.baseline))} CPU/req`,
      ratio: `+${us(added(paired))}`,
      target: '-',
      met: undefined,
    })),
    notes: steps.map(([what, , adds, cost]) => `${what}: ${us(cost)} for ${adds}.`),
  }
}
