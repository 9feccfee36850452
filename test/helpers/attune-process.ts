import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait-for.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Variables `attune` reads; the test runner's own values are never passed on, so each test states its own. */
const CONFIG_VARIABLES = /^(PORT|HOST|DATABASE_URL|DATABASE_POOL_SIZE|LOG_LEVEL|ATTUNE_.*|NODE_TEST_CONTEXT)$/

/** How a process ended. */
export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** One real `node bin/attune.js <role>` process. */
export interface AttuneProcess {
  readonly pid: number
  /** Everything written so far. */
  stdout(): string
  stderr(): string
  /** Lines of stderr, without Node's own runtime warnings (deprecations) and blank lines. */
  errorLines(): string[]
  /** The API's base URL, from the "attune started" log line (after `ready`). */
  url(): string
  /** Resolves when it logged "attune started"; rejects, quoting its output, if it exits first. */
  readonly ready: Promise<void>
  readonly exited: Promise<Exit>
  /** Resolves once stdout matches `pattern`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Sends `signal` and resolves with the exit. */
  kill(signal: NodeJS.Signals): Promise<Exit>
}

/** Options of `AttuneProcesses.spawn`. */
export interface SpawnOptions {
  /** Fail `ready` after this long. Default 30,000 (a first start runs initdb). */
  readyTimeoutMs?: number
}

/** Starts `attune` processes and data directories for one test, and removes them all after it. */
export interface AttuneProcesses {
  /** A fresh ATTUNE_DATA_DIR, open to other users so the unprivileged server user can reach it as root. */
  dataDir(): Promise<string>
  /** Spawns `attune <role>` with `env` (LOG_LEVEL defaults to info, which the readiness line needs). */
  spawn(role: string, env: Record<string, string>, options?: SpawnOptions): AttuneProcess
  /** Spawns and waits until it is ready. */
  start(role: string, env: Record<string, string>, options?: SpawnOptions): Promise<AttuneProcess>
}

/**
 * Process fixtures for `t`. Cleanup runs in one after-hook in the right order: processes first (SIGTERM, then
 * SIGKILL), then any PostgreSQL a SIGKILLed process left behind in its process group, then the directories.
 * `t` is a test context, or `{ after }` from node:test for processes shared by a describe block.
 */
export function attuneProcesses(t: { after(fn: () => Promise<void>): void }): AttuneProcesses {
  const processes: Array<{ child: ChildProcess; exited: Promise<Exit> }> = []
  const dirs: string[] = []
  t.after(async () => {
    for (const { child, exited } of processes.reverse()) await stopGroup(child, exited)
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true })
  })

  const spawnOne = (role: string, env: Record<string, string>, options: SpawnOptions = {}): AttuneProcess => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.test(name)),
    )
    // detached: its own process group, so cleanup can reach the PostgreSQL server it starts even after a SIGKILL.
    const child = spawn(process.execPath, ['bin/attune.js', role], {
      cwd: ROOT,
      env: { ...inherited, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    // 'close', not 'exit': 'exit' may come before the last of stderr has been read.
    const exited = new Promise<Exit>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    )
    processes.push({ child, exited })
    let url: string | undefined
    const started = () => {
      for (const line of stdout.split('\n')) {
        const entry = parseLogLine(line)
        if (entry?.msg === 'attune started') {
          url = entry.url ?? ''
          return true
        }
      }
      return false
    }
    const describe = () => `attune ${role} (pid ${child.pid})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`
    let exit: Exit | undefined
    void exited.then((value) => (exit = value))
    const readyTimeoutMs = options.readyTimeoutMs ?? 30_000
    const ready = waitFor(() => started() || exit, { timeoutMs: readyTimeoutMs, intervalMs: 20 }).then(
      () => {
        if (!started())
          throw new Error(`exited (${exit?.code ?? exit?.signal}) before it was ready: ${describe()}`)
      },
      () => {
        throw new Error(`not ready after ${readyTimeoutMs} ms: ${describe()}`)
      },
    )
    ready.catch(() => {}) // callers that only expect an exit never await it
    return {
      pid: child.pid ?? -1,
      stdout: () => stdout,
      stderr: () => stderr,
      errorLines: () => stderr.split('\n').filter((line) => line.trim() && !isNodeWarning(line)),
      url: () => {
        if (url === undefined) throw new Error(`not ready: ${describe()}`)
        return url
      },
      ready,
      exited,
      waitForStdout: async (pattern, timeoutMs = 10_000) => {
        const printed = () => pattern.exec(stdout) ?? undefined
        await waitFor(() => printed() ?? exit, { timeoutMs, intervalMs: 20 }).catch(() => {})
        const match = printed()
        if (!match)
          throw new Error(
            `${pattern} not printed (${exit ? 'it exited' : `within ${timeoutMs} ms`}): ${describe()}`,
          )
        return match
      },
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal)
        return exited
      },
    }
  }

  return {
    async dataDir() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'attune-data-'))
      await fs.chmod(dir, 0o755)
      dirs.push(dir)
      return dir
    },
    spawn: spawnOne,
    async start(role, env, options) {
      const started = spawnOne(role, env, options)
      await started.ready
      return started
    },
  }
}

function parseLogLine(line: string): { msg?: string; url?: string } | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    return JSON.parse(line) as { msg?: string; url?: string }
  } catch {
    return undefined // a line still being written
  }
}

function isNodeWarning(line: string): boolean {
  return /^\(node:\d+\) /.test(line) || line.startsWith('(Use `node --trace-')
}

async function stopGroup(child: ChildProcess, exited: Promise<Exit>): Promise<void> {
  const group = child.pid
  if (group === undefined) return
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM')
    const timer = setTimeout(() => signalGroup(group, 'SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  // A PostgreSQL server orphaned by a SIGKILL is still in the group: SIGINT is its fast shutdown.
  if (!signalGroup(group, 'SIGINT')) return
  await waitFor(() => !signalGroup(group, 0), { timeoutMs: 15_000, intervalMs: 20 }).catch(() =>
    signalGroup(group, 'SIGKILL'),
  )
}

/** Signals every process of the group; false when none is left. */
function signalGroup(group: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-group, signal)
    return true
  } catch {
    return false
  }
}

/** An HTTP answer: status and parsed JSON body (undefined when empty). */
export interface Answer {
  status: number
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever the API answered
}

/** Calls a running process's API over its real socket, with `Bearer <token>` when a token is given. */
export async function call(
  base: string,
  method: string,
  url: string,
  token?: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}
