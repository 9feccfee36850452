import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import { createDb, createPool } from '../../src/db/connect.ts'
import type { Database } from '../../src/db/schema.ts'

/** A database of its own for one test (or file), cloned from the migrated template; dropped afterwards. */
export interface TestDatabase {
  url: string
  pool: pg.Pool
  db: Kysely<Database>
}

function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the suite with `npm test`')
  return url
}

/** Clones `attune_template` into a fresh database and registers its removal on `t`. */
export async function createTestDatabase(t: Pick<TestContext, 'after'>, options: { poolSize?: number } = {}) {
  const name = `attune_t_${randomBytes(6).toString('hex')}`
  const admin = createPool(serverUrl(), { max: 1 })
  await admin.query(`create database ${name} template ${process.env.ATTUNE_TEST_TEMPLATE ?? 'attune_template'}`)
  const url = new URL(serverUrl())
  url.pathname = `/${name}`
  const pool = createPool(url.toString(), { max: options.poolSize ?? 10 })
  const db = createDb(pool)
  t.after(async () => {
    await db.destroy().catch(() => {})
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  })
  return { url: url.toString(), pool, db } satisfies TestDatabase
}
