import type { TestContext } from 'node:test'
import pino from 'pino'
import { buildApp, type App } from '../../src/app.ts'
import { ManualClock, systemClock, type Clock } from '../../src/clock.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { createClient } from '../../src/db/connect.ts'
import type { Deps } from '../../src/deps.ts'
import { createMetrics } from '../../src/http/metrics.ts'
import { createTestDatabase, type TestDatabase } from './test-db.ts'

/** The admin token every test app accepts. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef'

/** A real app on its own database, plus what tests reach for. */
export interface TestApp {
  app: App
  deps: Deps
  database: TestDatabase
  clock: Clock
}

/** Options of buildTestApp. */
export interface TestAppOptions {
  /** Environment overrides on top of the test defaults. */
  env?: Record<string, string>
  /** Use this clock (a ManualClock to move time); default the system clock. */
  clock?: Clock
  /** Share a database made earlier (e.g. two apps as two processes would). */
  database?: TestDatabase
}

/** Test configuration: the admin token set, logs silent unless LOG_LEVEL asks otherwise. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    ATTUNE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ATTUNE_PUBLIC_URL: 'http://attune.test',
    ATTUNE_WEBHOOK_ALLOW_PRIVATE: 'true',
    ...env,
  })
}

/** Builds the real app on a fresh database cloned from the migrated template; closed after the test. */
export async function buildTestApp(t: Pick<TestContext, 'after'>, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(t))
  const config = testConfig(options.env)
  const clock = options.clock ?? systemClock
  const deps: Deps = {
    db: database.db,
    config,
    log: pino({ level: config.logLevel }),
    clock,
    metrics: createMetrics(),
    connectListener: () => createClient(database.url, 'attune-test-listen'),
  }
  const app = await buildApp(deps)
  t.after(() => app.close())
  return { app, deps, database, clock }
}

export { ManualClock }
