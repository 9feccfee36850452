import type { Machine } from './machine.ts'
import type { Section } from './report.ts'

/** What bench/run.ts hands every benchmark module. */
export interface BenchContext {
  machine: Machine
  /** Seconds of measured load per figure: BENCH_DURATION_S, default 5. */
  durationS: number
  /** Seconds of load before each measurement: BENCH_WARMUP_S, default 1. */
  warmupS: number
  /** Concurrent connections of the load generator: BENCH_CONNECTIONS, default 10. */
  connections: number
  /** A fresh directory under the system temp directory, removed when the run ends. */
  tempDir(prefix: string): Promise<string>
  /** Registers a cleanup run when the module ends, last registered first, whether it succeeded or not. */
  defer(cleanup: () => Promise<void>): void
  /** URL of a PostgreSQL server started for the run (on first use) in a process of its own: the "external" case. */
  externalPostgresUrl(): Promise<string>
  /** Progress on stderr; never written to BENCHMARKS.md. */
  log(message: string): void
}

/** The shape of a `bench/<name>.bench.ts` module. */
export interface BenchModule {
  /** One line under the module's heading: what it measures. */
  description: string
  run(ctx: BenchContext): Promise<Section[]>
}
