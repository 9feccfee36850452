import { execFileSync } from 'node:child_process'
import os from 'node:os'

/** Where the figures were measured: printed above every benchmark's tables. */
export interface Machine {
  cpu: string
  cores: number
  node: string
  /** `git rev-parse --short HEAD`, with `+ uncommitted changes in src/` when the tree differs from it. */
  commit: string
}

/** Reads the CPU model, core count, Node version and the commit being measured. */
export function describeMachine(root: string): Machine {
  const cpus = os.cpus()
  return {
    cpu: (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    cores: cpus.length,
    node: process.version,
    commit: commitOf(root),
  }
}

function commitOf(root: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim()
  try {
    const head = git('rev-parse', '--short', 'HEAD')
    // Figures belong to the code that ran: say so when src/ is not exactly the commit named.
    return git('status', '--porcelain', '--', 'src') === '' ? head : `${head} + uncommitted changes in src/`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

/** One line naming the machine, e.g. `AMD EPYC 7B13, 2 cores, Node v20.20.2`. */
export function formatMachine(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`
}
