import type { Deps } from './deps.ts'
import type { JobHandler } from './queue/runner.ts'

/** The job map: every job kind and its handler, on one screen. Features add their kinds here. */
export function jobHandlers(_deps: Deps): Record<string, JobHandler> {
  return {}
}
