import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (bench/lib/../..). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Variables Attune reads: never passed on from the shell running the benchmark, so each child states its own. */
const CONFIG_VARIABLES =
  /^(PORT|HOST|DATABASE_URL|DATABASE_POOL_SIZE|LOG_LEVEL|ATTUNE_.*|TEST_.*|NODE_OPTIONS)$/

/** A child process whose output is kept for waiting on and for error messages. */
export interface Child {
  readonly pid: number
  readonly process: ChildProcess
  /** Its name, stdout and stderr so far, for error messages. */
  output(): string
  /** Its stdout so far. */
  stdoutText(): string
  /** Resolves with the first match of `pattern` in stdout; rejects if the child exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** SIGTERM, then SIGKILL to its whole process group after `graceMs`; resolves once it and its group are gone. */
  stop(graceMs?: number): Promise<void>
}

/**
 * Runs `node [nodeArgs] <script> [args]` from the repository root with a clean environment plus `env`. The
 * child leads its own process group, so `stop()` also reaches the PostgreSQL server an `attune serve` starts.
 */
export function spawnNode(
  script: string,
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Child {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.test(name)),
  )
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const describe = () =>
    `${path.basename(script)} ${args.join(' ')} (pid ${child.pid})\n${stdout}\n${stderr}`.trim()
  const group = child.pid ?? -1

  return {
    pid: group,
    process: child,
    output: describe,
    stdoutText: () => stdout,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout)
          if (!match) return
          finish()
          resolve(match)
        }
        const onExit = () => {
          finish()
          reject(new Error(`exited before printing ${pattern}: ${describe()}`))
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`${pattern} not printed within ${timeoutMs} ms: ${describe()}`))
        }, timeoutMs)
        const finish = () => {
          clearTimeout(timer)
          child.stdout.off('data', check)
          child.off('exit', onExit)
        }
        child.stdout.on('data', check)
        child.once('exit', onExit)
        check()
      })
    },
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => signalGroup(group, 'SIGKILL'), graceMs)
        await exited
        clearTimeout(timer)
      }
      // A server left in the group (its parent was killed) gets PostgreSQL's fast shutdown, then SIGKILL.
      const deadline = Date.now() + graceMs
      if (signalGroup(group, 'SIGINT')) {
        while (signalGroup(group, 0) && Date.now() < deadline) await sleep(50)
        signalGroup(group, 'SIGKILL')
      }
    },
  }
}

function signalGroup(group: number, signal: NodeJS.Signals | 0): boolean {
  if (group <= 0) return false
  try {
    process.kill(-group, signal)
    return true
  } catch {
    return false
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resident set size of `pid` in kB (VmRSS of /proc/<pid>/status); 0 once it is gone. */
export function rssKb(pid: number): number {
  return statusField(pid, 'VmRSS')
}

/**
 * Proportional set size of `pid` in kB (/proc/<pid>/smaps_rollup): shared pages divided among the processes
 * mapping them. Summing RSS over PostgreSQL's processes counts its shared buffers once per backend; PSS does not.
 */
export function pssKb(pid: number): number {
  const text = readProc(pid, 'smaps_rollup')
  const match = /^Pss:\s+(\d+) kB/m.exec(text)
  return match ? Number(match[1]) : 0
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readProc(pid, 'status'))
  return match ? Number(match[1]) : 0
}

/** Every live descendant of `pid` (children, their children, ...), read from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const ppid = parentOf(Number(entry))
    if (ppid === undefined) continue
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const children = parents.get(queue.shift() as number) ?? []
    found.push(...children)
    queue.push(...children)
  }
  return found
}

/** The short command name of `pid` (/proc/<pid>/comm). */
export function commandOf(pid: number): string {
  return readProc(pid, 'comm').trim()
}

/** User plus system CPU time `pid` has used, in milliseconds (/proc/<pid>/stat, clock ticks of 10 ms). */
export function cpuTimeMs(pid: number): number {
  const fields = statFields(pid)
  if (!fields) return 0
  // Fields after the command: state is [0], utime [11], stime [12] (proc(5) numbers them 3, 14, 15).
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function parentOf(pid: number): number | undefined {
  const fields = statFields(pid)
  return fields ? Number(fields[1]) : undefined
}

function statFields(pid: number): string[] | undefined {
  const text = readProc(pid, 'stat')
  // The command sits in parentheses and may itself contain spaces or parentheses: split after the last one.
  const end = text.lastIndexOf(')')
  return end < 0 ? undefined : text.slice(end + 2).split(' ')
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return ''
  }
}
