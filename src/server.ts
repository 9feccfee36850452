import pino, { type Logger } from 'pino'
import { buildApp, type App } from './app.ts'
import { systemClock, type Clock } from './clock.ts'
import type { Config } from './config.ts'
import { createClient, createDb, createPool } from './db/connect.ts'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts'
import { migrate } from './db/migrate.ts'
import type { Deps } from './deps.ts'
import { createDemoSetup, type DemoSetup } from './features/companies/bootstrap.ts'
import { createCarrier, startMessageDispatcher } from './features/messages/dispatcher.ts'
import { startDispatcher } from './features/webhooks/dispatcher.ts'
import { createMetrics } from './http/metrics.ts'
import { jobHandlers } from './jobs.ts'
import { startWorker } from './queue/runner.ts'

/** Which roles this process plays: `serve` is both, `api` and `worker` one each. */
export interface Roles {
  api: boolean
  worker: boolean
}

/** A running Attune process; `close()` stops it gracefully (what SIGTERM calls). */
export interface RunningServer {
  app: App | undefined
  url: string | undefined
  deps: Deps
  demo: DemoSetup | undefined
  close(): Promise<void>
}

/** Connects the store (starting the embedded one when DATABASE_URL is unset) and migrates it. */
export async function openStore(config: Config, log: Logger) {
  let embedded: EmbeddedPostgres | undefined
  let url = config.databaseUrl
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      log: (level, message) => log[level]({ component: 'embedded-postgres' }, message),
    })
    url = embedded.url
  }
  const pool = createPool(url, { max: config.databasePoolSize })
  try {
    const applied = await migrate(pool)
    if (applied.length > 0) log.info({ applied }, 'migrations applied')
  } catch (error) {
    await pool.end()
    await embedded?.stop()
    throw error
  }
  const storeUrl = url
  return { embedded, pool, db: createDb(pool), connectListener: () => createClient(storeUrl, 'attune-listen') }
}

/** Starts the roles asked for; resolves once the API listens and the workers run. */
export async function startServer(config: Config, roles: Roles, clock: Clock = systemClock): Promise<RunningServer> {
  const log = pino({ level: config.logLevel, base: { pid: process.pid } })
  const store = await openStore(config, log)
  const deps: Deps = { db: store.db, config, log, clock, metrics: createMetrics(), connectListener: store.connectListener }

  let app: App | undefined
  let url: string | undefined
  let demo: DemoSetup | undefined
  try {
    if (roles.api) {
      app = await buildApp(deps)
      url = await app.listen({ port: config.port, host: config.host })
      // Only once the API listens, so the secrets are printed: a start that fails (a taken port) or a worker-only
      // process must not use up what is shown once.
      if (store.embedded && !config.adminToken) demo = await createDemoSetup(store.db)
    }
  } catch (error) {
    await app?.close()
    await store.db.destroy()
    await store.embedded?.stop()
    throw error
  }
  const worker = roles.worker
    ? startWorker({
        db: store.db,
        handlers: jobHandlers(deps),
        clock,
        concurrency: config.workerConcurrency,
        leaseMs: config.jobLeaseSeconds * 1000,
        log,
        listen: store.connectListener,
        onOutcome: (kind, outcome) => deps.metrics.jobOutcomes.inc({ kind, outcome }),
      })
    : undefined
  const webhooks = roles.worker
    ? startDispatcher({
        db: store.db,
        clock,
        log,
        allowPrivate: config.webhookAllowPrivate,
        allowHttp: config.allowHttpWebhooks,
        listen: store.connectListener,
      })
    : undefined
  const messages = roles.worker
    ? startMessageDispatcher({
        db: store.db,
        clock,
        log,
        carrier: createCarrier(config, store.db, clock),
        batchSize: config.messageBatchSize,
        loops: config.messageDispatchers,
        listen: store.connectListener,
      })
    : undefined
  log.info({ url, roles, embedded: Boolean(store.embedded) }, 'attune started')

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      await app?.close()
      await worker?.stop()
      await webhooks?.stop()
      await messages?.stop()
      await store.db.destroy()
      await store.embedded?.stop()
      log.info('attune stopped')
    })())
  return { app, url, deps, demo, close }
}
