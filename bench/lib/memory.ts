import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { commandOf, descendants, pssKb, rssKb, ROOT, spawnNode } from './processes.ts'
import { formatMb, times, type Section } from './report.ts'

/** Memory of a process and of everything it started. */
export interface Footprint {
  nodeKb: number
  children: Array<{ pid: number; command: string; rssKb: number; pssKb: number }>
}

/** Reads the RSS of `pid` and the RSS and PSS of each of its descendants. */
export function footprint(pid: number): Footprint {
  const children = descendants(pid).map((child) => ({
    pid: child,
    command: commandOf(child),
    rssKb: rssKb(child),
    pssKb: pssKb(child),
  }))
  return { nodeKb: rssKb(pid), children }
}

/** Sum of `values`. */
export function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0)
}

/** RSS of `pid` plus the RSS of all its descendants, in kB. */
export function totalRssKb(found: Footprint): number {
  return found.nodeKb + sum(found.children.map((child) => child.rssKb))
}

/** What loading each module adds to a process's RSS, in load order. */
export interface ImportCost {
  module: string
  addedKb: number
}

/**
 * Run by plain `node --input-type=module -e`: imports the modules named in argv[1] (a JSON array) one after
 * another and prints after each, once a full GC has run, `{"module": ..., "rssKb": ...}`. The first line is the
 * process before any import. A shared dependency is counted at the first module that loads it.
 */
const IMPORT_COST_SCRIPT = `
const report = async (module) => {
  globalThis.gc()
  await new Promise((resolve) => setTimeout(resolve, 50))
  console.log(JSON.stringify({ module, rssKb: Math.round(process.memoryUsage().rss / 1024) }))
}
await report('(start)')
for (const module of JSON.parse(process.argv[1])) {
  await import(module)
  await report(module)
}
console.log('done')
`

/**
 * Imports `modules` (package names or paths from the repository root) in order in a fresh plain `node`, as
 * `attune` runs, and returns the RSS of node alone and what each module added to it.
 */
export async function importCosts(modules: string[]): Promise<{ plainKb: number; costs: ImportCost[] }> {
  const specifiers = modules.map((module) =>
    module.startsWith('.') ? pathToFileURL(path.join(ROOT, module)).href : module,
  )
  const child = spawnNode('-e', [IMPORT_COST_SCRIPT, JSON.stringify(specifiers)], {}, [
    '--expose-gc',
    '--input-type=module',
  ])
  try {
    await child.waitFor(/^done$/m)
  } finally {
    await child.stop()
  }
  const lines = child
    .stdoutText()
    .split('\n')
    .filter((line) => line.startsWith('{"module"'))
    .map((line) => JSON.parse(line) as { module: string; rssKb: number })
  const plainKb = lines[0]?.rssKb ?? 0
  const costs = lines.slice(1).map((line, index) => ({
    module: modules[index] ?? line.module,
    addedKb: line.rssKb - (lines[index]?.rssKb ?? 0),
  }))
  return { plainKb, costs }
}

/** What `idleMemorySection` reports on. */
export interface IdleMemory {
  /** `attune serve` and its children, idle. */
  idle: Footprint
  /** The baseline process and its children, idle. */
  baseline: Footprint
  /** What loading each module adds (importCosts). */
  imports: { plainKb: number; costs: ImportCost[] }
  /** Time the processes had to settle before they were read. */
  settleMs: number
  /** The most the total may be, in kB. */
  targetKb: number
}

/** The table of `attune serve`'s idle memory beside an empty Fastify process, with what makes it up. */
export function idleMemorySection({
  idle,
  baseline: baselineIdle,
  imports,
  settleMs,
  targetKb,
}: IdleMemory): Section {
  const { plainKb, costs } = imports
  const postgres = idle.children.filter((child) => child.command === 'postgres')
  const others = idle.children.filter((child) => child.command !== 'postgres')
  const total = residentKb(idle)
  const baselineTotal = residentKb(baselineIdle)
  const loaded = plainKb + sum(costs.map((cost) => cost.addedKb))
  const othersNamed = others.length > 0 ? ` + ${others.map((other) => other.command).join(', ')}` : ''
  const breakdown = costs.map((cost) => `${cost.module} ${signedMb(cost.addedKb)}`).join(', ')
  return {
    title: 'Idle memory of `attune serve`',
    intro:
      '`node bin/attune.js serve` on an empty ATTUNE_DATA_DIR (embedded PostgreSQL, API and workers), read ' +
      `${settleMs / 1000} s after its first authenticated request, before any load. Baseline: the empty Fastify ` +
      'process, read the same way; both run on plain node, as `attune` runs its esbuild bundle of src/ with no ' +
      'TypeScript loader. The figure is the RSS of the node ' +
      "process plus the PSS of each process it started: PostgreSQL's processes share their buffers and binary, " +
      'which RSS would count once per process and PSS divides among them.',
    rows: [
      {
        what: `idle: node + ${postgres.length} PostgreSQL processes${othersNamed}`,
        figure: formatMb(total),
        baseline: formatMb(baselineTotal),
        ratio: times(total, baselineTotal),
        target: `≤ ${formatMb(targetKb)}`,
        met: total <= targetKb,
      },
      {
        what: 'the node process (RSS)',
        figure: formatMb(idle.nodeKb),
        baseline: formatMb(baselineIdle.nodeKb),
        ratio: times(idle.nodeKb, baselineIdle.nodeKb),
        target: '-',
        met: undefined,
      },
      childrenRow(`its ${postgres.length} PostgreSQL processes`, postgres),
      ...others.map((other) => childrenRow(`its child \`${other.command}\` (pid ${other.pid})`, [other])),
    ],
    notes: [
      `Counting every child by RSS instead, the total would be ${formatMb(totalRssKb(idle))}.`,
      `The node process, by what each step adds to a fresh process's RSS (in this order; a shared dependency ` +
        `counts where it is first loaded): plain node ${formatMb(plainKb)}, ${breakdown}; in all ` +
        `${formatMb(loaded)} loaded and not started, against ${formatMb(idle.nodeKb)} started and idle.`,
      ...(total > targetKb ? [largestParts(idle, imports, targetKb)] : []),
    ],
  }
}

/** The note on a missed target: the largest parts of the total, and what the total is without the largest. */
function largestParts(idle: Footprint, { plainKb, costs }: IdleMemory['imports'], targetKb: number): string {
  const byCommand = new Map<string, number>()
  for (const child of idle.children)
    byCommand.set(child.command, (byCommand.get(child.command) ?? 0) + child.pssKb)
  const parts = [
    ...[...byCommand].map(([command, kb]) => ({ what: `the \`${command}\` children`, kb })),
    { what: 'plain node', kb: plainKb },
    ...costs.map((cost) => ({ what: `loading ${cost.module}`, kb: cost.addedKb })),
  ].sort((a, b) => b.kb - a.kb)
  const [first] = parts
  const total = residentKb(idle)
  const without = first ? ` Without ${first.what} the total would be ${formatMb(total - first.kb)}.` : ''
  return (
    `What bounds it: ${formatMb(total - targetKb)} over the target; the largest parts are ` +
    `${parts
      .slice(0, 5)
      .map((part) => `${part.what} ${formatMb(part.kb)}`)
      .join(', ')}.${without}`
  )
}

/** A row for processes counted by PSS, with their summed RSS beside. */
function childrenRow(what: string, processes: Footprint['children']): Section['rows'][number] {
  return {
    what: `${what}: PSS (RSS summed)`,
    figure: `${formatMb(sum(processes.map((p) => p.pssKb)))} (${formatMb(sum(processes.map((p) => p.rssKb)))})`,
    baseline: '-',
    ratio: '-',
    target: '-',
    met: undefined,
  }
}

/** RSS of the node process plus the PSS of its children. */
function residentKb(found: Footprint): number {
  return found.nodeKb + sum(found.children.map((child) => child.pssKb))
}

function signedMb(kb: number): string {
  return kb < 0 ? `−${formatMb(-kb)}` : `+${formatMb(kb)}`
}
