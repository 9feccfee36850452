import type { BenchContext } from './context.ts'
import { load, type LoadOptions, type LoadResult } from './load.ts'

/** One thing to load: a URL and how to call it. */
export interface Target {
  name: string
  url: string
  options: Omit<LoadOptions, 'durationS' | 'warmupS' | 'connections'>
}

/** Options of `measureRounds`. */
export interface RoundsOptions {
  /** How many times every target is measured. */
  rounds: number
  /** Seconds measured per target and round. */
  windowS: number
}

/**
 * Measures every target once per round, `rounds` times, in an order rotated each round; returns each target's
 * runs, round by round. A figure is then the median over rounds, and a ratio the median of the ratios taken
 * within each round: a burst of other work on a shared machine spoils one round, not the figure.
 */
export async function measureRounds(
  ctx: BenchContext,
  targets: Target[],
  options: RoundsOptions,
): Promise<Map<string, LoadResult[]>> {
  const runs = new Map<string, LoadResult[]>(targets.map((target) => [target.name, []]))
  for (let round = 0; round < options.rounds; round++) {
    const order = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)]
    for (const target of order) {
      ctx.log(`round ${round + 1}/${options.rounds}: ${target.name}`)
      const result = await load(target.url, {
        durationS: options.windowS,
        // Later rounds find the code compiled and the pools open: a short warm-up only opens the connections.
        warmupS: round === 0 ? ctx.warmupS : Math.min(ctx.warmupS, 0.5),
        connections: ctx.connections,
        ...target.options,
      })
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(
          `${target.name}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load; the figure would be wrong`,
        )
      }
      runs.get(target.name)?.push(result)
    }
  }
  return runs
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return Number.NaN
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Each figure of `runs` as its median over the rounds. */
export function medianResult(runs: LoadResult[]): LoadResult {
  const of = (pick: (run: LoadResult) => number) => median(runs.map(pick))
  return {
    requestsPerSec: of((run) => run.requestsPerSec),
    total: of((run) => run.total),
    p50: of((run) => run.p50),
    p99: of((run) => run.p99),
    non2xx: 0,
    errors: 0,
    cpuUsPerRequest: runs.every((run) => run.cpuUsPerRequest !== undefined)
      ? of((run) => run.cpuUsPerRequest ?? 0)
      : undefined,
  }
}

/** `combine(a, b)` for the runs of the same round, one value per round. */
export function perRound(
  a: LoadResult[],
  b: LoadResult[],
  combine: (a: LoadResult, b: LoadResult) => number,
): number[] {
  return a.map((run, round) => combine(run, b[round] as LoadResult))
}
