import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'

/** src/db/migrations, found from the package root so it resolves from the sources and from the bundle alike. */
const MIGRATIONS_DIR = path.join(packageRoot(path.dirname(fileURLToPath(import.meta.url))), 'src', 'db', 'migrations')

function packageRoot(from: string): string {
  let dir = from
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${from}`)
    dir = parent
  }
  return dir
}

/** Key of the advisory lock that serialises migrations across processes ("attune" in ASCII). */
const MIGRATION_LOCK = 0x617474756e65

/**
 * Applies every file of `migrations/` not yet recorded, in name order, in one transaction, under a
 * transaction-scoped advisory lock: two processes starting together both wait, the second finds nothing to do.
 * Returns the names applied.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = (await fs.readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort()
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(
      'create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())',
    )
    const done = new Set((await client.query<{ name: string }>('select name from schema_migrations')).rows.map((r) => r.name))
    const applied: string[] = []
    for (const name of files) {
      if (done.has(name)) continue
      await client.query(await fs.readFile(path.join(MIGRATIONS_DIR, name), 'utf8'))
      await client.query('insert into schema_migrations (name) values ($1)', [name])
      applied.push(name)
    }
    await client.query('commit')
    return applied
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
