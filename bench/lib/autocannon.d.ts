// The part of autocannon's API bench/lib/load-child.ts uses (the package ships no types).
declare module 'autocannon' {
  interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    warmup?: { connections?: number; duration: number }
  }
  interface Histogram {
    average: number
    p50: number
    p99: number
    total: number
  }
  interface Result {
    requests: Histogram
    latency: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
  }
  interface Instance extends PromiseLike<Result> {
    on(event: 'start' | 'done', listener: () => void): this
  }
  function autocannon(options: Options): Instance
  export default autocannon
}
