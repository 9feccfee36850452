/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Give up after this long. Default 5,000. */
  timeoutMs?: number
  /** Time between checks. Default 10. */
  intervalMs?: number
  /** Named in the timeout error, to say what never happened. */
  description?: string
}

/** `T` without the falsy values `waitFor` keeps waiting through. */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>

/**
 * Checks `predicate` until it returns a truthy value and resolves with that value; rejects once `timeoutMs`
 * has passed (with the last error the predicate threw, if any). Use it instead of sleeping for a fixed time.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? 5000
  const intervalMs = options.intervalMs ?? 10
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await predicate()
      if (value) return value as Truthy<T>
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const what = options.description ?? predicate.toString().slice(0, 200)
      throw new Error(`waitFor: not true after ${timeoutMs} ms: ${what}`, { cause: lastError })
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
