import type { MessageState } from './messages.schema.ts'

// The moves a message may make, as a table: every other move is refused. Nothing moves a message back, and the
// final states move nowhere. Receipts arrive duplicated, reversed and late (COMPLIANCE.md §4.1: "make the state
// machine monotonic"), so whichever final receipt lands first stands. `held` → `held` is a new hold time;
// `sending` → `sending` is a reconciled hand-off handed over again; `sending` → `suppressed`/`held` happens only
// when the carrier has no record of the message (the dispatcher asks it first).
const NEXT: Record<MessageState, readonly MessageState[]> = {
  queued: ['held', 'sending', 'suppressed'],
  held: ['held', 'sending', 'suppressed'],
  sending: ['sending', 'held', 'suppressed', 'sent', 'delivered', 'undelivered', 'failed'],
  sent: ['unknown', 'delivered', 'undelivered', 'failed'],
  unknown: ['delivered', 'undelivered', 'failed'],
  delivered: [],
  undelivered: [],
  failed: [],
  suppressed: [],
}

/** States no receipt or rule moves a message out of. */
export const FINAL_STATES: readonly MessageState[] = ['delivered', 'undelivered', 'failed', 'suppressed']

/** Whether a message in state `from` may move to `to`. */
export function canMove(from: MessageState, to: MessageState): boolean {
  return NEXT[from].includes(to)
}

/** The states a message may be in for a move to `to` (for an UPDATE's WHERE clause). */
export function predecessorsOf(to: MessageState): MessageState[] {
  return (Object.keys(NEXT) as MessageState[]).filter((from) => canMove(from, to))
}
