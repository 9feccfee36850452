import { cpuTimeMs, spawnNode } from './processes.ts'
import type { LoadFigures } from './report.ts'

/** What to send and for how long. Load goes only to 127.0.0.1 and stops by itself after warm-up + duration. */
export interface LoadOptions {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  /** Seconds measured. */
  durationS: number
  /** Seconds of load before measuring (JIT, caches, connection pools). Default 1. */
  warmupS?: number
  /** Concurrent keep-alive connections. Default 10. */
  connections?: number
  /** The server's pid: its CPU time per request is reported when given. */
  serverPid?: number
}

/** The request the load child receives as JSON. */
export interface LoadRequest {
  url: string
  method: string
  headers: Record<string, string>
  body?: string
  durationS: number
  warmupS: number
  connections: number
}

/** Load figures plus how many requests were answered. */
export interface LoadResult extends LoadFigures {
  total: number
}

/**
 * Runs autocannon against `url` in a child process (the client must not share a core's event loop with the
 * server) and returns req/s, p50, p99, non-2xx answers and socket errors of the measured part of the run.
 */
export async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const target = new URL(url)
  if (target.hostname !== '127.0.0.1')
    throw new Error(`load: only 127.0.0.1 is loaded, not ${target.hostname}`)
  const request: LoadRequest = {
    url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { body: options.body } : {}),
    durationS: options.durationS,
    warmupS: options.warmupS ?? 1,
    connections: options.connections ?? 10,
  }
  const child = spawnNode('bench/lib/load-child.ts', [JSON.stringify(request)], {}, ['--import', 'tsx'])
  const timeoutMs = (request.durationS + request.warmupS + 30) * 1000
  try {
    await child.waitFor(/^measuring$/m, timeoutMs)
    const cpuBefore = options.serverPid === undefined ? 0 : cpuTimeMs(options.serverPid)
    const [line] = await child.waitFor(/^\{.*\}$/m, timeoutMs)
    const cpuAfter = options.serverPid === undefined ? 0 : cpuTimeMs(options.serverPid)
    const result = JSON.parse(line) as Omit<LoadResult, 'cpuUsPerRequest'>
    const answered = Math.max(1, result.total)
    return {
      ...result,
      cpuUsPerRequest:
        options.serverPid === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / answered,
    }
  } finally {
    await child.stop(5000)
  }
}
