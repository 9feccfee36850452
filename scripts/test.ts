// `npm test`: type check and lint, then every test file under node's test runner against a real PostgreSQL.
// With no TEST_DATABASE_URL, a throwaway cluster is started from the same embedded binaries `npm start` uses,
// in a temporary directory, and removed at the end. A template database is migrated once; each test file
// clones its own database from it (test/helpers/test-db.ts).
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createPool } from '../src/db/connect.ts'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts'
import { migrate } from '../src/db/migrate.ts'

const TEMPLATE = 'attune_template'
const args = process.argv.slice(2)
const onlyFiles = args.filter((arg) => !arg.startsWith('--'))
const skipChecks = args.includes('--no-checks') || onlyFiles.length > 0

function run(command: string, commandArgs: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { stdio: 'inherit', env })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

async function findTests(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => [])
  const found: string[] = []
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...(await findTests(full)))
    else if (entry.name.endsWith('.test.ts')) found.push(full)
  }
  return found.sort()
}

async function prepareTemplate(url: string): Promise<string> {
  const admin = createPool(url, { max: 1 })
  await admin.query(`drop database if exists ${TEMPLATE} with (force)`)
  await admin.query(`create database ${TEMPLATE}`)
  await admin.end()
  const templateUrl = new URL(url)
  templateUrl.pathname = `/${TEMPLATE}`
  const pool = createPool(templateUrl.toString(), { max: 1 })
  await migrate(pool)
  await pool.end()
  return url
}

const checks = skipChecks
  ? Promise.resolve(0)
  : Promise.all([run('npx', ['tsc', '--noEmit']), run('npx', ['eslint', '--max-warnings', '0', '.'])]).then(
      ([tsc, lint]) => {
        console.log(`# checks: tsc ${tsc === 0 ? 'ok' : 'FAILED'}, eslint ${lint === 0 ? 'ok' : 'FAILED'}`)
        return tsc || lint
      },
    )

let server: EmbeddedPostgres | undefined
let tmp: string | undefined
let code = 1
try {
  let url = process.env.TEST_DATABASE_URL
  if (!url) {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'attune-test-pg-'))
    server = await startEmbeddedPostgres({ dataDir: tmp, fast: true, database: 'postgres' })
    url = server.url
  }
  await prepareTemplate(url)
  const files = onlyFiles.length > 0 ? onlyFiles : [...(await findTests('src')), ...(await findTests('test'))]
  const testCode = await run(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 4}`, ...files],
    { ...process.env, TEST_DATABASE_URL: url, ATTUNE_TEST_TEMPLATE: TEMPLATE },
  )
  code = (await checks) || testCode
} finally {
  await server?.stop()
  if (tmp) await fs.rm(tmp, { recursive: true, force: true })
}
process.exit(code)
