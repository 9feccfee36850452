import type { MessageState } from './messages.schema.ts'

// How far along a message is. A change is allowed only to a higher rank, except `held` → `held` (a new hold
// time) and `sending` → `sending` (a recovered hand-off handed over again). Receipts arrive duplicated, reversed
// and late (COMPLIANCE.md §4.1: "make the state machine monotonic"); the final states have the top rank, so
// whichever final receipt lands first stands.
const RANK: Record<MessageState, number> = {
  queued: 0,
  held: 1,
  sending: 2,
  sent: 3,
  unknown: 4,
  delivered: 5,
  undelivered: 5,
  failed: 5,
  suppressed: 5,
}

/** States no receipt or rule moves a message out of. */
export const FINAL_STATES: readonly MessageState[] = ['delivered', 'undelivered', 'failed', 'suppressed']

/** Whether a message in state `from` may move to `to`. */
export function canMove(from: MessageState, to: MessageState): boolean {
  if (from === to) return from === 'held' || from === 'sending'
  if (FINAL_STATES.includes(from)) return false
  // Only the dispatcher suppresses or holds, and only before the carrier has the message.
  if (to === 'suppressed' || to === 'held') return RANK[from] <= RANK.sending
  return RANK[to] > RANK[from]
}

/** The states a message may be in for a move to `to` (for an UPDATE's WHERE clause). */
export function predecessorsOf(to: MessageState): MessageState[] {
  return (Object.keys(RANK) as MessageState[]).filter((from) => canMove(from, to))
}
