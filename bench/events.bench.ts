import os from 'node:os'
import type { BenchContext } from './lib/context.ts'
import { cpuTimeMs, spawnNode } from './lib/processes.ts'
import { formatMb, percent, type Row, type Section } from './lib/report.ts'
import { BATCH_SIZE, PEOPLE, paced, peak, rawInserts, startEventsApp, storedEvents, type EventsApp, type LoadSpec, type Measured } from './events-app.ts'
import { measureLayouts } from './events-layout.ts'
import type { EventsLoadResult } from './events-load.ts'

/** One line under the heading in BENCHMARKS.md. */
export const description = 'events accepted durably: group commit, the batch endpoint, latency, memory, time partitioning'

/** Single-event requests must reach this share of an empty Fastify handler's rate (SPEC §5). */
const SINGLE_TARGET = 0.5
/** The batch endpoint must reach this share of raw 1,000-row multi-row INSERTs of the same rows. */
const BATCH_TARGET = 0.8
/** Events per second through the batch endpoint (SPEC §5). */
const BATCH_ABSOLUTE_TARGET = 50_000
const RSS_TARGET_KB = 500 * 1024
/**
 * Concurrent single-event requests (and for the empty handler beside them). Group commit shares a commit among
 * the requests in flight; with 10, Little's law caps any durable design at 10 per commit latency whatever it does.
 */
const SINGLE_CONNECTIONS = 100
const BATCH_CONNECTIONS = 4

/** One run of the empty handler, with the CPU its process spent per request. */
interface EmptyRun {
  result: EventsLoadResult
  cpuUsPerRequest: number
}

interface ModeFigures {
  name: string
  /** The empty handler just before and just after the single-event run: its baseline, measured in the same minute. */
  emptyAround: [EmptyRun, EmptyRun]
  single: Measured
  /** Events and transactions of the warm-up and the measured run together (distinct xmin). */
  singleCommits: { events: number; transactions: number }
  halfRate: EventsLoadResult
  baselineHalf: EventsLoadResult
  batch: Measured
  rawEvents: number
  rawAll: number
  reconciled: { acknowledged: number; stored: number }
}

const eventsPerSec = (m: Measured) => m.main.acknowledged / m.main.elapsedS

async function measureMode(
  ctx: BenchContext,
  name: string,
  app: EventsApp,
  baselineUrl: string,
  measureEmpty: () => Promise<EmptyRun>,
): Promise<ModeFigures> {
  const headers = { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json' }
  const single: LoadSpec = { url: `${app.url}/v1/events/custom`, method: 'POST', headers, body: 'custom', batchSize: 1, people: PEOPLE, connections: SINGLE_CONNECTIONS }
  const before = await storedEvents(app)
  const emptyBefore = await measureEmpty()
  const singles = await peak(ctx, `POST /v1/events/custom, ${name}`, single, app)
  const emptyAfter = await measureEmpty()
  const afterSingles = await storedEvents(app)
  const halfRate = await paced(ctx, `POST /v1/events/custom, ${name}`, single, singles.main.requestsPerSec / 2)
  const empty: LoadSpec = { ...single, url: baselineUrl, method: 'GET', headers: {}, body: 'none' }
  const baselineHalf = await paced(ctx, 'empty Fastify handler', empty, singles.main.requestsPerSec / 2)
  const batchSpec: LoadSpec = { ...single, url: `${app.url}/v1/events/batch`, body: 'batch', batchSize: BATCH_SIZE, connections: BATCH_CONNECTIONS }
  const batch = await peak(ctx, `POST /v1/events/batch, ${name}`, batchSpec, app)
  const acknowledged = [singles.warm, singles.main, halfRate, batch.warm, batch.main].reduce((sum, r) => sum + r.acknowledged, 0)
  const stored = (await storedEvents(app)).events - before.events
  if (stored !== acknowledged) throw new Error(`${name}: ${acknowledged} events acknowledged but ${stored} stored`)
  ctx.log(`raw INSERTs, ${name}`)
  const rawEvents = await rawInserts(app, 'events', BATCH_CONNECTIONS, ctx.durationS)
  const rawAll = await rawInserts(app, 'all', BATCH_CONNECTIONS, ctx.durationS)
  return {
    name, emptyAround: [emptyBefore, emptyAfter], single: singles, halfRate, baselineHalf, batch,
    singleCommits: { events: afterSingles.events - before.events, transactions: afterSingles.transactions - before.transactions },
    rawEvents, rawAll, reconciled: { acknowledged, stored },
  }
}

export async function run(ctx: BenchContext): Promise<Section[]> {
  const loadBefore = os.loadavg()[0] ?? 0
  const baselineChild = spawnNode('bench/lib/empty-fastify.ts', [], {}, ['--import', 'tsx'])
  ctx.defer(() => baselineChild.stop())
  const [, baselineUrl = ''] = await baselineChild.waitFor(/^listening (\S+)$/m)
  const emptySpec: LoadSpec = { url: baselineUrl, method: 'GET', headers: {}, body: 'none', batchSize: 1, people: 1, connections: SINGLE_CONNECTIONS }
  const measureEmpty = async (): Promise<EmptyRun> => {
    const cpu = cpuTimeMs(baselineChild.pid)
    const { warm, main } = await peak(ctx, 'empty Fastify handler', emptySpec)
    return { result: main, cpuUsPerRequest: ((cpuTimeMs(baselineChild.pid) - cpu) * 1000) / (warm.requests + main.requests) }
  }
  const embeddedApp = await startEventsApp(ctx)
  const embedded = await measureMode(ctx, 'embedded store', embeddedApp, baselineUrl, measureEmpty)
  await embeddedApp.close()
  const externalApp = await startEventsApp(ctx, await ctx.externalPostgresUrl())
  const external = await measureMode(ctx, 'external PostgreSQL', externalApp, baselineUrl, measureEmpty)
  const layout = await measureLayouts(ctx, externalApp.db)
  await externalApp.close()
  const modes = [embedded, external]
  const machineLoad = `Load average of the machine (1 min) at the start ${loadBefore.toFixed(1)}, at the end ${(os.loadavg()[0] ?? 0).toFixed(1)}, on ${os.cpus().length} cores.`
  return [singleSection(modes, machineLoad), batchSection(modes), latencySection(modes), layout]
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const load = (r: EventsLoadResult, unit = 'req/s') => `${fmt.format(r.requestsPerSec)} ${unit} · p50 ${r.p50} ms · p99 ${r.p99} ms`
const perEvent = (ms: number, m: Measured) => fmt.format((ms * 1000) / m.main.acknowledged)
const memory = (m: Measured) => `${formatMb(m.peakPssKb)} (${formatMb(m.peakRssKb)}); node alone ${formatMb(m.peakNodeRssKb)}`

function singleSection(modes: ModeFigures[], machineLoad: string): Section {
  const baselineOf = (mode: ModeFigures) => (mode.emptyAround[0].result.requestsPerSec + mode.emptyAround[1].result.requestsPerSec) / 2
  const empties = modes.flatMap((mode) => mode.emptyAround)
  const baselineCpu = empties.reduce((sum, run) => sum + run.cpuUsPerRequest, 0) / empties.length
  const rows: Row[] = modes.flatMap((mode): Row[] => [
    {
      what: `POST /v1/events/custom, one event per request, ${mode.name}`,
      figure: load(mode.single.main),
      baseline: `${fmt.format(baselineOf(mode))} req/s (empty Fastify handler)`,
      ratio: percent(mode.single.main.requestsPerSec, baselineOf(mode)),
      target: `≥ ${SINGLE_TARGET * 100} %`,
      met: mode.single.main.requestsPerSec >= SINGLE_TARGET * baselineOf(mode),
    },
    {
      what: `memory under that load, ${mode.name}: node RSS + PostgreSQL PSS (RSS summed)`,
      figure: memory(mode.single),
      baseline: '-',
      ratio: '-',
      target: `≤ ${formatMb(RSS_TARGET_KB)}`,
      met: mode.single.peakPssKb <= RSS_TARGET_KB,
    },
  ])
  return {
    title: 'Single events accepted durably (group commit), against an empty Fastify handler',
    intro:
      `A 2xx means the event is committed. Load: autocannon in its own process (bench/events-load.ts), ${SINGLE_CONNECTIONS} ` +
      `connections, every request a different custom event of one of ${fmt.format(PEOPLE)} people; runs go by request count, so ` +
      'every request sent is answered and then counted in the database. Baseline: `fastify().get("/", async () => ({}))` ' +
      'in a process of its own, same connections, the mean of a run just before and one just after each figure. Memory: the ' +
      'peak during the run, sampled every 250 ms, of the node process and the PostgreSQL server serving it (its own in ' +
      "embedded mode). PostgreSQL is counted by PSS: summing its processes' RSS counts the shared buffers once per " +
      'backend; that larger sum is shown in parentheses.',
    rows,
    notes: [
      machineLoad,
      `Empty handler runs: ${empties.map((run) => load(run.result)).join('; ')}; ${fmt.format(baselineCpu)} µs of CPU per request.`,
      ...modes.map(
        (m) =>
          `${m.name}: ${fmt.format(m.singleCommits.events)} events in ${fmt.format(m.singleCommits.transactions)} transactions ` +
          `(${(m.singleCommits.events / Math.max(1, m.singleCommits.transactions)).toFixed(1)} per commit); CPU per event: node ` +
          `${perEvent(m.single.nodeCpuMs, m.single)} µs, PostgreSQL ${perEvent(m.single.postgresCpuMs, m.single)} µs. ` +
          `Reconciliation: ${fmt.format(m.reconciled.acknowledged)} events acknowledged in this mode, ${fmt.format(m.reconciled.stored)} stored.`,
      ),
      'What bounds it: CPU. Server, PostgreSQL and load generator share the cores, and an event costs several times an ' +
        'empty request (CPU per event above, against the empty handler\'s per request). PostgreSQL writes three rows per ' +
        'event (the event with four indexes, its domain event with three, the rollup upsert) and runs six statements ' +
        'per commit (begin, the identity lookup, the insert with the rollup upserts, the domain events, their webhook ' +
        'fan-out, commit), which group commit spreads over the events of the commit. In a node profile ' +
        '(`node --cpu-prof`) of this load no function of ours stands out: the time goes to HTTP parsing, socket writes ' +
        '(writev), garbage collection and the pg protocol, each paid per request or per statement.',
      'What would lift it: fewer rows per event (journeys reading the event row itself instead of a copy in ' +
        'domain_events would halve the writes), cheaper statements (named prepared statements skip parsing and ' +
        'planning; the domain events and their fan-out as one statement), PostgreSQL on cores of its own, and senders ' +
        'that use the batch endpoint, which costs a fraction per event (next section).',
    ],
  }
}

function batchSection(modes: ModeFigures[]): Section {
  const rows: Row[] = modes.flatMap((mode): Row[] => [
    {
      what: `POST /v1/events/batch, ${fmt.format(BATCH_SIZE)} events per request, ${mode.name}`,
      figure: `${fmt.format(eventsPerSec(mode.batch))} events/s · p99 ${mode.batch.main.p99} ms`,
      baseline: `${fmt.format(mode.rawEvents)} rows/s (raw INSERTs of the event rows)`,
      ratio: percent(eventsPerSec(mode.batch), mode.rawEvents),
      target: `≥ ${BATCH_TARGET * 100} %; ≥ ${fmt.format(BATCH_ABSOLUTE_TARGET)}/s`,
      met: eventsPerSec(mode.batch) >= BATCH_TARGET * mode.rawEvents && eventsPerSec(mode.batch) >= BATCH_ABSOLUTE_TARGET,
    },
    {
      what: `the same, against raw INSERTs of everything it writes, ${mode.name}`,
      figure: `${fmt.format(eventsPerSec(mode.batch))} events/s`,
      baseline: `${fmt.format(mode.rawAll)} events/s (event + domain event + rollup)`,
      ratio: percent(eventsPerSec(mode.batch), mode.rawAll),
      target: '-',
      met: undefined,
    },
    {
      what: `memory under that load, ${mode.name}: node RSS + PostgreSQL PSS (RSS summed)`,
      figure: memory(mode.batch),
      baseline: '-',
      ratio: '-',
      target: `≤ ${formatMb(RSS_TARGET_KB)}`,
      met: mode.batch.peakPssKb <= RSS_TARGET_KB,
    },
  ])
  return {
    title: 'The batch endpoint, against raw 1,000-row multi-row INSERTs',
    intro:
      `${BATCH_CONNECTIONS} connections, ${fmt.format(BATCH_SIZE)} custom events per request. Baselines, same run, same database, same ` +
      `${BATCH_CONNECTIONS} concurrent connections: multi-row INSERTs of the ${fmt.format(BATCH_SIZE)} event rows the endpoint writes for ` +
      'such a request (the issue\'s baseline), and the same with the domain events and the rollup upsert in one transaction ' +
      '(all the endpoint writes, without the endpoint).',
    rows,
    notes: [
      ...modes.map(
        (m) =>
          `${m.name}: CPU per event: node ${perEvent(m.batch.nodeCpuMs, m.batch)} µs, PostgreSQL ${perEvent(m.batch.postgresCpuMs, m.batch)} µs.`,
      ),
      'What bounds it: the endpoint writes about three rows per event (event, domain event, rollup upsert) where the ' +
        "issue's baseline writes one, so the rows alone cap it at the ratio between this section's two baselines; the " +
        "rest, the second row's gap, is node's share (parsing the JSON, checking every item as its own endpoint would, " +
        'serialising the parameters) and the identity lookup.',
      'What would lift it: COPY (binary) instead of INSERT for the event and domain-event rows, the event row serving ' +
        'as the journeys\' outbox instead of a second row, and checking items with one compiled validator per batch.',
    ],
  }
}

function latencySection(modes: ModeFigures[]): Section {
  return {
    title: 'Latency of single events at half the peak rate',
    intro: 'The same requests paced at 50 % of the peak measured above, beside the empty handler paced at the same rate.',
    rows: modes.map((mode) => ({
      what: `POST /v1/events/custom at ${fmt.format(mode.halfRate.requestsPerSec)} req/s, ${mode.name}`,
      figure: `p50 ${mode.halfRate.p50} ms · p99 ${mode.halfRate.p99} ms`,
      baseline: `p50 ${mode.baselineHalf.p50} ms · p99 ${mode.baselineHalf.p99} ms`,
      ratio: '-',
      target: '-',
      met: undefined,
    })),
  }
}
