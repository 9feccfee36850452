import type { BenchContext } from './context.ts'
import { load, type LoadOptions, type LoadResult } from './load.ts'

/** A figure and its baseline: the mean of the baseline runs just before and just after it. */
export interface Paired {
  result: LoadResult
  baseline: LoadResult
}

/** Load options without the timing, which comes from the context. */
export type MeasureOptions = Omit<LoadOptions, 'durationS' | 'warmupS' | 'connections'>

/** What a figure is compared with: one request, sent the same way. */
export interface Baseline {
  what: string
  url: string
  options: MeasureOptions
}

/** Measures `what` between two runs of the baseline. */
export type Pair = (what: string, url: string, options: MeasureOptions) => Promise<Paired>

/** A pairing: `pair` measures, `baselineRuns` lists every run of the baseline so far (its spread is the noise). */
export interface Pairing {
  pair: Pair
  baselineRuns: LoadResult[]
}

/**
 * Alternates the baseline with every measurement (B S1 B S2 B ...), so each figure is compared with the
 * baseline of the same minute: other work on a shared machine moves both alike.
 */
export function createPairing(ctx: BenchContext, baseline: Baseline): Pairing {
  const baselineRuns: LoadResult[] = []
  const runBaseline = async () => {
    const result = await measure(ctx, baseline.what, baseline.url, baseline.options)
    baselineRuns.push(result)
    return result
  }
  const pair: Pair = async (what, url, options) => {
    const before = baselineRuns.at(-1) ?? (await runBaseline())
    const result = await measure(ctx, what, url, options)
    const after = await runBaseline()
    return { result, baseline: averageOf(before, after) }
  }
  return { pair, baselineRuns }
}

/** One load run with the context's timing; refuses a figure that includes refused or failed requests. */
export async function measure(
  ctx: BenchContext,
  what: string,
  url: string,
  options: MeasureOptions,
): Promise<LoadResult> {
  ctx.log(`load: ${what}`)
  const result = await load(url, {
    durationS: ctx.durationS,
    warmupS: ctx.warmupS,
    connections: ctx.connections,
    ...options,
  })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${what}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load; the figure would be wrong`,
    )
  }
  return result
}

function averageOf(a: LoadResult, b: LoadResult): LoadResult {
  const mean = (x: number, y: number) => (x + y) / 2
  return {
    requestsPerSec: mean(a.requestsPerSec, b.requestsPerSec),
    total: a.total + b.total,
    p50: mean(a.p50, b.p50),
    p99: mean(a.p99, b.p99),
    non2xx: 0,
    errors: 0,
    cpuUsPerRequest:
      a.cpuUsPerRequest === undefined || b.cpuUsPerRequest === undefined
        ? undefined
        : mean(a.cpuUsPerRequest, b.cpuUsPerRequest),
  }
}
