import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT, spawnNode, type Child } from './processes.ts'

/** The baseline server running, and its base URL. */
export interface EmptyFastify {
  child: Child
  url: string
}

/**
 * Starts bench/lib/empty-fastify.ts (`GET /` and `POST /` answering `{}`) on plain node, without the TypeScript
 * loader the benchmarks themselves run under, since `attune` runs without one too.
 */
export async function startEmptyFastify(): Promise<EmptyFastify> {
  const source = readFileSync(path.join(ROOT, 'bench/lib/empty-fastify.ts'), 'utf8')
  const child = spawnNode('-e', [source], {}, ['--input-type=module'])
  try {
    const [, url = ''] = await child.waitFor(/^listening (\S+)$/m)
    return { child, url }
  } catch (error) {
    await child.stop()
    throw error
  }
}
