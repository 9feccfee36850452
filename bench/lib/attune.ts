import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { buildApp, type App } from '../../src/app.ts'
import { systemClock } from '../../src/clock.ts'
import { freePort } from '../../src/db/embedded.ts'
import { loadConfig } from '../../src/config.ts'
import type { Deps } from '../../src/deps.ts'
import { createMetrics } from '../../src/http/metrics.ts'
import { openStore } from '../../src/server.ts'
import { spawnNode, type Child } from './processes.ts'

/** An Attune API listening on 127.0.0.1, with a company whose key the benchmark uses. */
export interface BenchApp {
  url: string
  /** The company's full-access key, its rate limits raised so the limiter runs but never refuses. */
  apiKey: string
  close(): Promise<void>
}

/** Options of `startAttuneInProcess`. */
export interface InProcessOptions {
  /** ATTUNE_DATA_DIR: where the embedded store lives when `databaseUrl` is unset. */
  dataDir: string
  /** An external PostgreSQL; unset: the embedded store, started as `attune serve` starts it. */
  databaseUrl?: string
  /** Adds benchmark-only routes before the app listens. */
  extend?: (app: App) => void
}

/** A rate limit far above any rate this machine reaches: the limiter still counts every request. */
const UNREACHABLE_LIMIT = 1_000_000

/**
 * Builds the real app in this process, as src/server.ts does (store opened and migrated, LOG_LEVEL=warn, a real
 * configuration), listens on 127.0.0.1:0, then creates a company through the admin API and raises its limits.
 */
export async function startAttuneInProcess(options: InProcessOptions): Promise<BenchApp> {
  const adminToken = randomBytes(24).toString('base64url')
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    ATTUNE_DATA_DIR: options.dataDir,
    ATTUNE_ADMIN_TOKEN: adminToken,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  })
  const log = pino({ level: config.logLevel })
  const store = await openStore(config, log)
  const deps: Deps = {
    db: store.db,
    config,
    log,
    clock: systemClock,
    metrics: createMetrics(),
    connectListener: store.connectListener,
  }
  const closeStore = async () => {
    await store.db.destroy()
    await store.embedded?.stop()
  }
  let app: App | undefined
  try {
    app = await buildApp(deps)
    options.extend?.(app)
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    const created = await adminCall<{ company: { id: string }; apiKey: string }>(
      url,
      adminToken,
      'POST',
      '/companies',
      {
        name: 'Benchmark',
      },
    )
    await raiseRateLimits(url, adminToken, created.company.id)
    const running = app
    return {
      url,
      apiKey: created.apiKey,
      close: once(async () => {
        await running.close()
        await closeStore()
      }),
    }
  } catch (error) {
    await app?.close()
    await closeStore()
    throw error
  }
}

/** A real `attune serve` process on the embedded store, with the secrets it printed on first start. */
export interface ServeProcess extends BenchApp {
  child: Child
}

/**
 * Starts `node bin/attune.js serve` on an empty ATTUNE_DATA_DIR, exactly as `npm start` does (no DATABASE_URL:
 * it starts its own PostgreSQL), reads the admin token and demo key it prints, and raises the demo company's
 * rate limits.
 */
export async function startAttuneServe(dataDir: string): Promise<ServeProcess> {
  const port = await freePort()
  const child = spawnNode('bin/attune.js', ['serve'], {
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ATTUNE_DATA_DIR: dataDir,
  })
  try {
    const [, adminToken = ''] = await child.waitFor(/Admin token:\s+(\S+)/, 120_000)
    const [, apiKey = ''] = await child.waitFor(/API key of "Demo":\s+(\S+)/)
    const url = `http://127.0.0.1:${port}`
    const me = await call<{ companyId: string }>(url, apiKey, 'GET', '/v1/me')
    await raiseRateLimits(url, adminToken, me.companyId)
    return { url, apiKey, child, close: () => child.stop() }
  } catch (error) {
    await child.stop()
    throw error
  }
}

/** `fn` run at most once: benchmarks close early to free the cores, and their deferred cleanup closes again. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined
  return () => (done ??= fn())
}

async function raiseRateLimits(url: string, adminToken: string, companyId: string): Promise<void> {
  await adminCall(url, adminToken, 'PATCH', `/companies/${companyId}`, {
    settings: { rateLimits: { default: UNREACHABLE_LIMIT } },
  })
}

function adminCall<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  return call<T>(url, token, method, `/admin/v1${path}`, body)
}

/** One JSON request to the API with `Bearer <token>`; throws with the answer unless it is 2xx. */
export async function call<T>(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`)
  return JSON.parse(text) as T
}
