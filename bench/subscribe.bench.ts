import os from 'node:os'
import { DEFAULT_LIMITS } from '../src/http/rate-limit.ts'
import { startEmptyFastify } from './lib/baseline.ts'
import type { BenchContext } from './lib/context.ts'
import { cpuTimeMs, spawnNode } from './lib/processes.ts'
import { formatLoad, type Row, type Section } from './lib/report.ts'
import { median } from './lib/rounds.ts'
import {
  reconcile,
  rowsPerSubscribe,
  SOURCES,
  startSubscribeApp,
  statementsOfOne,
  type OptIn,
  type SubscribeApp,
} from './subscribe-app.ts'
import type { SubscribeLoadRequest, SubscribeLoadResult } from './subscribe-load.ts'

/** One line under the heading in BENCHMARKS.md. */
export const description =
  'POST /v1/subscriptions (single and double opt-in) against an empty Fastify handler'

/** Rounds over the three targets of a mode; a figure is the median over them. */
const ROUNDS = 5
/** Attentive's published subscribe limit per key (ATTENTIVE_API.md §1.5): the second reference. */
const ATTENTIVE_LIMIT = DEFAULT_LIMITS.subscribe

/** What is loaded: the empty handler, or one of the two sign-up sources. */
interface Target {
  name: 'empty' | OptIn
  url: string
  headers: Record<string, string>
  signUpSourceId: string
  /** The process serving it, for CPU per request; and its PostgreSQL's processes, if it has one. */
  pid: number
  postgresPids: () => number[]
}

/** One run with the CPU its server spent per request (µs), node and PostgreSQL apart. */
interface Run {
  load: SubscribeLoadResult
  nodeUs: number
  postgresUs: number
}

/** Runs bench/subscribe-load.ts once; `people.next` is the first person it subscribes and moves past the run's. */
async function runLoad(
  ctx: BenchContext,
  target: Target,
  amount: number,
  people: { next: number },
): Promise<Run> {
  const spec: SubscribeLoadRequest = {
    url: target.url,
    headers: target.headers,
    signUpSourceId: target.signUpSourceId,
    firstIndex: people.next,
    tag: target.name,
    connections: ctx.connections,
    amount: Math.max(ctx.connections, Math.round(amount)),
  }
  const child = spawnNode('bench/subscribe-load.ts', [], { SUBSCRIBE_BENCH_LOAD: JSON.stringify(spec) }, [
    '--import',
    'tsx',
  ])
  const cpu = () => ({
    node: cpuTimeMs(target.pid),
    postgres: target.postgresPids().reduce((t, pid) => t + cpuTimeMs(pid), 0),
  })
  try {
    const timeoutMs = (ctx.durationS * 6 + 60) * 1000
    await child.waitFor(/^measuring$/m, timeoutMs)
    const before = cpu()
    const [line] = await child.waitFor(/^\{.*\}$/m, timeoutMs)
    const after = cpu()
    const load = JSON.parse(line) as SubscribeLoadResult
    people.next = load.nextIndex
    if (load.non2xx > 0 || load.errors > 0 || load.repeated > 0) {
      throw new Error(
        `${target.name}: ${load.non2xx} non-2xx, ${load.errors} errors, ${load.repeated} repeated subscribes`,
      )
    }
    const perRequest = (ms: number) => (ms * 1000) / Math.max(1, load.requests)
    return {
      load,
      nodeUs: perRequest(after.node - before.node),
      postgresUs: perRequest(after.postgres - before.postgres),
    }
  } finally {
    await child.stop(5000)
  }
}

/** What a mode measured: each target's runs, round by round, and what the store holds afterwards. */
interface ModeFigures {
  name: string
  runs: Record<Target['name'], Run[]>
  /** 202 answers per source, warm-up runs included: each found in the store (reconcile). */
  accepted: Record<OptIn, number>
  statements: Record<OptIn, number>
  /** Rows the company's tables gained per accepted subscribe, both sources together, by table. */
  rows: Array<[table: string, rows: number]>
}

async function measureMode(
  ctx: BenchContext,
  name: string,
  app: SubscribeApp,
  empty: Target,
): Promise<ModeFigures> {
  const own = {
    url: `${app.url}/v1/subscriptions`,
    headers: { authorization: `Bearer ${app.apiKey}` },
    pid: process.pid,
    postgresPids: () => app.postgresPids(),
  }
  const targets: Target[] = [
    empty,
    { ...own, name: 'single', signUpSourceId: SOURCES.single },
    { ...own, name: 'double', signUpSourceId: SOURCES.double },
  ]
  const people = { next: 0 }
  const rates = new Map<string, number>()
  const accepted = { single: 0, double: 0 }
  const count = (target: Target, run: Run) => {
    if (target.name !== 'empty') accepted[target.name] += run.load.accepted
    rates.set(target.name, run.load.requestsPerSec)
    return run
  }
  for (const target of targets) {
    ctx.log(`${name}: warm-up, ${target.name}`)
    // A short run's rate is dragged down by the fixed cost of connecting, and runs are sized by the last rate:
    // grow the warm-up until one run lasts the warm-up time, so that rate is the one the rounds will see.
    let amount = ctx.connections * 20
    for (let step = 0; step < 6; step++) {
      const { load } = count(target, await runLoad(ctx, target, amount, people))
      if (load.elapsedS >= ctx.warmupS * 0.8) break
      amount = load.requestsPerSec * ctx.warmupS * Math.min(4, ctx.warmupS / load.elapsedS)
    }
  }
  const runs: ModeFigures['runs'] = { empty: [], single: [], double: [] }
  const windowS = ctx.durationS / 2
  for (let round = 0; round < ROUNDS; round++) {
    const shift = round % targets.length
    for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
      ctx.log(`${name}: round ${round + 1}/${ROUNDS}, ${target.name}`)
      const amount = (rates.get(target.name) ?? 0) * windowS
      runs[target.name].push(count(target, await runLoad(ctx, target, amount, people)))
    }
  }
  const statements = {
    single: await statementsOfOne(app, 'single'),
    double: await statementsOfOne(app, 'double'),
  }
  accepted.single++
  accepted.double++
  await reconcile(name, app, accepted)
  return {
    name,
    runs,
    accepted,
    statements,
    rows: await rowsPerSubscribe(app, accepted.single + accepted.double),
  }
}

/** Both modes, each beside the empty handler in its own rounds; one table. */
export async function run(ctx: BenchContext): Promise<Section[]> {
  const loadBefore = os.loadavg()[0] ?? 0
  const baseline = await startEmptyFastify()
  ctx.defer(() => baseline.child.stop())
  const empty: Target = {
    name: 'empty',
    url: `${baseline.url}/`,
    headers: {},
    signUpSourceId: '-',
    pid: baseline.child.pid,
    postgresPids: () => [],
  }
  ctx.log('embedded store: starting')
  const embeddedApp = await startSubscribeApp(ctx)
  const embedded = await measureMode(ctx, 'embedded store', embeddedApp, empty)
  await embeddedApp.close()
  ctx.log('external PostgreSQL: starting')
  const externalApp = await startSubscribeApp(ctx, await ctx.externalPostgresUrl())
  const external = await measureMode(ctx, 'external PostgreSQL', externalApp, empty)
  await externalApp.close()
  const loadAfter = os.loadavg()[0] ?? 0
  const machine =
    `Load average of the machine (1 min) at the start ${loadBefore.toFixed(1)}, at the end ` +
    `${loadAfter.toFixed(1)}, on ${os.cpus().length} cores.`
  return [section([embedded, external], machine, ctx.connections)]
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
/** A share as a percentage; one decimal under 10 %, where the ratios of this table fall. */
const pct = (value: number) => `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`
const cpuOf = (run: Run) => run.nodeUs + run.postgresUs
const WHAT: Record<OptIn, string> = {
  single: 'single opt-in (TEXT and EMAIL SUBSCRIBED)',
  double: 'double opt-in (TEXT PENDING, its prompt queued; EMAIL SUBSCRIBED)',
}

/** Medians over the rounds. */
function figures(runs: Run[]) {
  const of = (pick: (run: Run) => number) => median(runs.map(pick))
  return {
    load: {
      requestsPerSec: of((r) => r.load.requestsPerSec),
      p50: of((r) => r.load.p50),
      p99: of((r) => r.load.p99),
      non2xx: 0,
      errors: 0,
      cpuUsPerRequest: undefined,
    },
    nodeUs: of((r) => r.nodeUs),
    postgresUs: of((r) => r.postgresUs),
    // The two medians summed, so the total printed is the sum of its parts.
    cpuUs: of((r) => r.nodeUs) + of((r) => r.postgresUs),
  }
}

function describe(runs: Run[], withPostgres: boolean): string {
  const f = figures(runs)
  const cpu = withPostgres
    ? `${fmt.format(f.cpuUs)} µs CPU/req (node ${fmt.format(f.nodeUs)} + PostgreSQL ${fmt.format(f.postgresUs)})`
    : `${fmt.format(f.nodeUs)} µs CPU/req`
  return `${formatLoad(f.load)} · ${cpu}`
}

/** Per round: req/s as a share of the empty handler's, and capacity (its CPU/req over node + PostgreSQL's). */
function ratios(mode: ModeFigures, optIn: OptIn) {
  const pairs = mode.runs[optIn].map((run, round) => [run, mode.runs.empty[round] as Run] as const)
  return {
    rate: pairs.map(([run, base]) => run.load.requestsPerSec / base.load.requestsPerSec),
    capacity: pairs.map(([run, base]) => base.nodeUs / cpuOf(run)),
  }
}

function row(mode: ModeFigures, optIn: OptIn): Row {
  const { rate, capacity } = ratios(mode, optIn)
  const perSecond = figures(mode.runs[optIn]).load.requestsPerSec
  return {
    what: `POST /v1/subscriptions, ${WHAT[optIn]}, ${mode.name}`,
    figure: describe(mode.runs[optIn], true),
    baseline:
      `${describe(mode.runs.empty, false)} (empty Fastify POST); ` +
      `Attentive: ${ATTENTIVE_LIMIT} req/s per key (its published limit)`,
    ratio:
      `${pct(median(rate))} req/s · ${pct(median(capacity))} capacity; ` +
      `${fmt.format(perSecond / ATTENTIVE_LIMIT)}× Attentive's limit`,
    target: '-',
    met: undefined,
  }
}

function section(modes: ModeFigures[], machine: string, connections: number): Section {
  const [first] = modes
  const cores = os.cpus().length
  const single = first ? figures(first.runs.single) : undefined
  const notes = [
    machine,
    ...modes.map((mode) => {
      const spread = (optIn: OptIn) => ratios(mode, optIn).rate.map(pct).join(', ')
      return `Noise, ${mode.name}: req/s against the empty handler round by round ${spread('single')} (single opt-in), ${spread('double')} (double opt-in).`
    }),
    ...modes.map(
      (mode) =>
        `Reconciliation, ${mode.name}: ${fmt.format(mode.accepted.single)} single opt-in subscribes answered 202, and ` +
        'as many TEXT and as many EMAIL consents of their source are SUBSCRIBED; ' +
        `${fmt.format(mode.accepted.double)} double opt-in ones answered 202, and as many TEXT consents are PENDING, ` +
        'EMAIL ones SUBSCRIBED and opt-in prompts queued; two ledger rows per subscribe. Warm-up runs included; ' +
        'the module fails on any difference.',
    ),
    ...modes.map(
      (mode) =>
        `Work per subscribe, ${mode.name}: ${mode.statements.single} statements for single opt-in and ` +
        `${mode.statements.double} for double opt-in, begin and commit included, on one pooled connection; ` +
        'rows written (both sources together): ' +
        mode.rows.map(([table, rows]) => `${table} ${rows.toFixed(1)}`).join(', ') +
        '.',
    ),
  ]
  if (first && single) {
    notes.push(
      `What bounds it: CPU, most of it PostgreSQL's. A single opt-in subscribe costs ${fmt.format(single.cpuUs)} µs ` +
        `(${first.name}): node ${fmt.format(single.nodeUs)} µs, and PostgreSQL ${fmt.format(single.postgresUs)} µs ` +
        `over its ${first.statements.single} statements (about ${fmt.format(single.postgresUs / first.statements.single)} µs ` +
        'each, counting all its processes, the WAL flush of each commit included), against ' +
        `${fmt.format(figures(first.runs.empty).nodeUs)} µs for the empty handler. At ` +
        `${fmt.format(single.load.requestsPerSec)} req/s that is ` +
        `${((single.load.requestsPerSec * single.cpuUs) / 1e6).toFixed(1)} of the ${cores} cores; the load ` +
        'generator and the rest of the machine take the others. With both cores to itself, one process would stop ' +
        `near ${fmt.format((cores * 1e6) / single.cpuUs)} subscribes/s (${cores} cores × 1 s / CPU per subscribe). ` +
        "The empty handler's req/s is bounded by the load generator as much as by the server, so the req/s ratio " +
        'says less than capacity does.',
      `There is no target: Attentive limits subscribes to ${ATTENTIVE_LIMIT} per second per key, and Attune's ` +
        'limiter keeps that default; the last ratio says how far above it one process can be raised.',
    )
  }
  return {
    title: 'Subscribes accepted durably, against an empty Fastify handler',
    intro:
      'The real app in this process (`buildApp`, LOG_LEVEL=warn) on the embedded store, then on an external ' +
      'PostgreSQL (fsync on), with a company whose `subscribe` limit is raised through the admin API so the ' +
      'limiter counts every request but refuses none. Two sign-up sources collect TEXT and EMAIL for MARKETING: ' +
      'one single opt-in, one double opt-in (TEXT stays PENDING and its "Reply Y" prompt is enqueued in the same ' +
      'transaction; email is single opt-in by default). Load: autocannon in its own process ' +
      `(bench/subscribe-load.ts), ${connections} connections, every request a new person (a phone ` +
      "+1 212 2xx xxxx, valid in libphonenumber's full metadata, and an email), by request count so that every " +
      'request is answered and then found in the store. Baseline: the empty Fastify `POST /` handler in a process ' +
      'of its own, sent the same bodies by the same client. Each mode warms every target, then measures the ' +
      `three for half the duration each, in rotated order, over ${ROUNDS} rounds; figures are medians over the ` +
      'rounds, ratios the median of the ratios within each round. CPU/req: user + system CPU time of the serving ' +
      "process, and for Attune also of its PostgreSQL server's processes, over the requests answered; " +
      "**capacity** is the empty handler's CPU/req over Attune's.",
    rows: modes.flatMap((mode) => [row(mode, 'single'), row(mode, 'double')]),
    notes,
  }
}
