/** The one source of "now". Pure code takes `now` as an argument; shells ask a Clock, which tests replace. */
export interface Clock {
  now(): Date
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() }

/** A clock that tests move by hand. */
export class ManualClock implements Clock {
  private current: number
  constructor(start: Date | string = '2026-01-15T15:00:00Z') {
    this.current = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.current)
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.current += ms
  }
  set(to: Date | string): void {
    this.current = new Date(to).getTime()
  }
}
