import Type from 'typebox'
import type { App } from '../src/app.ts'
import { startAttuneInProcess, startAttuneServe, type BenchApp } from './lib/attune.ts'
import { startEmptyFastify } from './lib/baseline.ts'
import type { BenchContext } from './lib/context.ts'
import type { LoadResult } from './lib/load.ts'
import { footprint, idleMemorySection, importCosts } from './lib/memory.ts'
import { sleep } from './lib/processes.ts'
import { formatLoad, type Row, type Section } from './lib/report.ts'
import { measureRounds, median, medianResult, perRound, type Target } from './lib/rounds.ts'

/** One line under the heading in BENCHMARKS.md. */
export const description = 'authenticated API requests against an empty Fastify handler, and idle memory'

/** An authenticated request must keep at least this share of an empty Fastify handler's capacity. */
const THROUGHPUT_TARGET = 0.7
/** `attune serve` (node and its PostgreSQL), idle, must stay within this many kB. */
const IDLE_RSS_TARGET_KB = 150 * 1024
/** Time left for a process to settle (lazy initialisation, GC) before its idle memory is read. */
const SETTLE_MS = 3000
/** Rounds over every target, each measuring ctx.durationS / 2 seconds: a median over 4 shrugs off a bad round. */
const ROUNDS = 4
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
  // Not @scalar/fastify-api-reference: src/features/ops loads it on the first visit to /docs, never when idle.
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

/** An app under test: `mode` names its targets; only the in-process apps carry the benchmark routes. */
interface AppUnderTest {
  mode: 'embedded' | 'external' | 'serve'
  app: BenchApp
  pid: number
}

/** The requests measured, by name; `serverPid` makes each report the CPU its server spent per request. */
function targetsFor(baselineUrl: string, baselinePid: number, apps: AppUnderTest[]): Target[] {
  const json = { 'content-type': 'application/json' }
  const targets: Target[] = [
    { name: 'empty GET', url: baselineUrl, options: { serverPid: baselinePid } },
    {
      name: 'empty POST',
      url: baselineUrl,
      options: { method: 'POST', headers: json, body: NOOP_BODY, serverPid: baselinePid },
    },
  ]
  for (const { mode, app, pid } of apps) {
    const auth = { authorization: `Bearer ${app.apiKey}` }
    targets.push({ name: `me ${mode}`, url: `${app.url}/v1/me`, options: { headers: auth, serverPid: pid } })
    if (mode === 'serve') continue
    targets.push({
      name: `noop ${mode}`,
      url: `${app.url}/v1/bench/noop`,
      options: { method: 'POST', headers: { ...auth, ...json }, body: NOOP_BODY, serverPid: pid },
    })
    if (mode !== 'embedded') continue
    targets.push(
      { name: 'open embedded', url: `${app.url}/v1/bench/open`, options: { serverPid: pid } },
      { name: 'auth embedded', url: `${app.url}/v1/bench/auth`, options: { headers: auth, serverPid: pid } },
    )
  }
  return targets
}

export async function run(ctx: BenchContext): Promise<Section[]> {
  const { child: baselineChild, url: baselineUrl } = await startEmptyFastify()
  ctx.defer(() => baselineChild.stop())
  await fetch(baselineUrl).then((response) => response.text())
  await sleep(SETTLE_MS)
  const baselineIdle = footprint(baselineChild.pid)

  ctx.log('starting `attune serve` on an empty data directory')
  const serve = await startAttuneServe(await ctx.tempDir('serve'))
  ctx.defer(() => serve.close())
  await sleep(SETTLE_MS)
  const serveIdle = footprint(serve.child.pid)

  ctx.log('starting the app in-process on the embedded store and on an external PostgreSQL')
  const embedded = await startAttuneInProcess({
    dataDir: await ctx.tempDir('embedded'),
    extend: addBenchRoutes,
  })
  ctx.defer(() => embedded.close())
  const external = await startAttuneInProcess({
    dataDir: await ctx.tempDir('unused'),
    databaseUrl: await ctx.externalPostgresUrl(),
    extend: addBenchRoutes,
  })
  ctx.defer(() => external.close())

  const targets = targetsFor(baselineUrl, baselineChild.pid, [
    { mode: 'embedded', app: embedded, pid: process.pid },
    { mode: 'external', app: external, pid: process.pid },
    { mode: 'serve', app: serve, pid: serve.child.pid },
  ])
  const runs = await measureRounds(ctx, targets, {
    rounds: ROUNDS,
    windowS: Math.max(1, Math.floor(ctx.durationS / 2)),
  })
  await Promise.all([serve.close(), embedded.close(), external.close(), baselineChild.stop()])

  ctx.log('loading modules one by one')
  const imports = await importCosts(MODULES)
  const of = (name: string) => runs.get(name) ?? []
  return [
    throughputSection(of),
    breakdownSection(of),
    idleMemorySection({
      idle: serveIdle,
      baseline: baselineIdle,
      imports,
      settleMs: SETTLE_MS,
      targetKb: IDLE_RSS_TARGET_KB,
    }),
  ]
}

type Runs = (name: string) => LoadResult[]

const cpu = (result: LoadResult) => result.cpuUsPerRequest ?? 0
const us = (value: number) => `${Math.round(value)} µs`
const pct = (value: number) => `${Math.round(value * 100)} %`
const signedUs = (value: number) => (value < 0 ? `−${us(-value)}` : `+${us(value)}`)
/** Per round, the empty handler's CPU/req over the target's: the share of its capacity the target keeps. */
const capacities = (of: Runs, name: string) =>
  perRound(of('empty GET'), of(name), (base, run) => cpu(base) / cpu(run))
/** Per round, the CPU/req `name` adds to `from` (the empty GET handler unless given). */
const addedCpu = (of: Runs, name: string, from = 'empty GET') =>
  median(perRound(of(name), of(from), (a, b) => cpu(a) - cpu(b)))

function throughputRow(of: Runs, what: string, name: string): Row {
  const capacity = median(capacities(of, name))
  const rate = median(
    perRound(of(name), of('empty GET'), (run, base) => run.requestsPerSec / base.requestsPerSec),
  )
  return {
    what,
    figure: formatLoad(medianResult(of(name))),
    baseline: formatLoad(medianResult(of('empty GET'))),
    ratio: `${pct(capacity)} capacity · ${pct(rate)} req/s`,
    target: `≥ ${pct(THROUGHPUT_TARGET)} capacity`,
    met: capacity >= THROUGHPUT_TARGET,
  }
}

function throughputSection(of: Runs): Section {
  const rows = [
    throughputRow(of, 'GET /v1/me, embedded store', 'me embedded'),
    throughputRow(of, 'POST /v1/bench/noop, embedded store', 'noop embedded'),
    throughputRow(of, 'GET /v1/me, external PostgreSQL', 'me external'),
    throughputRow(of, 'POST /v1/bench/noop, external PostgreSQL', 'noop external'),
    throughputRow(of, 'GET /v1/me, a real `attune serve` (embedded, workers running)', 'me serve'),
  ]
  const spread = capacities(of, 'me embedded')
  const baselineCpu = of('empty GET').map(cpu)
  const notes = [
    `Noise: GET /v1/me (embedded) kept ${pct(Math.min(...spread))}–${pct(Math.max(...spread))} of capacity ` +
      `round by round; the empty handler's CPU/req ranged ${us(Math.min(...baselineCpu))}–` +
      `${us(Math.max(...baselineCpu))}.`,
    'The store does not show in these figures: a cached key costs no query (src/http/key-cache.ts), so the ' +
      'embedded and external rows differ by noise only.',
  ]
  if (rows.some((row) => row.met === false)) {
    const base = median(baselineCpu)
    notes.push(
      `What bounds it: the target leaves Attune ${us(base / THROUGHPUT_TARGET - base)} of CPU per request on top ` +
        `of the empty handler's ${us(base)}. GET /v1/me adds ${us(addedCpu(of, 'me embedded'))} and the no-op ` +
        `write ${us(addedCpu(of, 'noop embedded'))}, of which ${us(addedCpu(of, 'empty POST'))} is what any ` +
        'Fastify POST pays to read and parse a body (the empty POST handler against the empty GET). The next ' +
        'table splits the rest.',
    )
  }
  return {
    title: 'Authenticated requests against an empty Fastify handler',
    intro:
      'Baseline: `fastify().get("/", async () => ({}))`, same Fastify version, in a process of its own. The ' +
      'Attune rows run the real app (`buildApp`, LOG_LEVEL=warn, on a store migrated as `attune serve` does) ' +
      'with a company key whose rate limit is raised so the limiter counts every request but refuses none. ' +
      '`POST /v1/bench/noop` exists only in the benchmark: key auth, scope `events:write`, rate limiter, a JSON ' +
      'body validated by a TypeBox schema, answering `{}`. Every target is measured for half the duration once ' +
      `per round over ${ROUNDS} rounds; figures are medians over the rounds, ratios the median of the ratios ` +
      'within each round. ' +
      "CPU/req is the serving process's user + system CPU time over the requests it answered. **Capacity** is " +
      "the baseline's CPU/req over the figure's: the share of the empty handler's rate one core sustains, which " +
      'the target is judged on. On 2 cores the load generator takes one, so req/s is bounded by the client as ' +
      'much as by the server (the empty handler leaves its core partly idle) and its ratio flatters the slower ' +
      'server; it is shown beside.',
    rows,
    notes,
  }
}

function breakdownSection(of: Runs): Section {
  const steps: Array<[what: string, name: string, from: string, adds: string]> = [
    ['empty Fastify POST, same JSON body', 'empty POST', 'empty GET', 'reading and parsing a body'],
    [
      'Attune, a route without auth answering `{}`',
      'open embedded',
      'empty GET',
      'request id, pino child logger, content-type and metrics hooks',
    ],
    [
      'the same with key auth',
      'auth embedded',
      'open embedded',
      'bearer parsing, key hash and cache lookup, rate limiter, x-ratelimit-* headers',
    ],
    ['GET /v1/me', 'me embedded', 'auth embedded', 'the handler and its response schema'],
    [
      'POST /v1/bench/noop',
      'noop embedded',
      'auth embedded',
      "a body, scope check, Attune's JSON parser and Ajv validation",
    ],
  ]
  return {
    title: 'Where the CPU of a request goes (embedded store)',
    intro:
      'Server CPU per request, medians over the rounds; the ratio column is what the row adds to the empty GET ' +
      'handler. Each row adds one stage to an earlier one, and the notes give that step, as the median of its ' +
      "difference within each round; a step under about 2 µs is within this machine's noise.",
    rows: steps.map(([what, name]) => ({
      what,
      figure: `${us(cpu(medianResult(of(name))))} CPU/req`,
      baseline: `${us(cpu(medianResult(of('empty GET'))))} CPU/req`,
      ratio: signedUs(addedCpu(of, name)),
      target: '-',
      met: undefined,
    })),
    notes: steps.map(
      ([what, name, from, adds]) => `${what}: ${signedUs(addedCpu(of, name, from))} for ${adds}.`,
    ),
  }
}
