import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Prometheus metrics of one process; a registry per app so tests can build many. */
export interface Metrics {
  registry: Registry
  httpRequests: Counter<'method' | 'route' | 'status'>
  httpDuration: Histogram<'method' | 'route' | 'status'>
  jobOutcomes: Counter<'kind' | 'outcome'>
  queueDepth: Gauge<'kind' | 'state'>
}

/** Creates the registry and the metrics every role reports. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  return {
    registry,
    httpRequests: new Counter({
      name: 'attune_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'attune_http_request_duration_seconds',
      help: 'Time from request to response, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    jobOutcomes: new Counter({
      name: 'attune_jobs_total',
      help: 'Jobs finished by this process, by kind and outcome (completed, failed, dead)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'attune_queue_jobs',
      help: 'Jobs in the queue by kind and state (ready, scheduled, running, dead), read at scrape time',
      labelNames: ['kind', 'state'],
      registers: [registry],
    }),
  }
}
