import assert from 'node:assert/strict'
import { test } from 'node:test'
import { validate } from '@readme/openapi-parser'
import { buildTestApp } from './helpers/build-test-app.ts'
import { createCompany } from './helpers/company.ts'
import { createTestDatabase } from './helpers/test-db.ts'

test('GET /health answers 200 {status:"ok"} when the store answers', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok' })
})

test('GET /health answers 503 when the store does not', async (t) => {
  const database = await createTestDatabase(t)
  const { app } = await buildTestApp(t, { database })
  await database.pool.end()
  const response = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json(), { status: 'unavailable' })
})

test('/openapi.json is a valid OpenAPI 3.1 document that lists every route', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/openapi.json' })
  assert.equal(response.statusCode, 200)
  const document = response.json()
  assert.equal(document.openapi, '3.1.0')
  const result = await validate(structuredClone(document))
  assert.equal(result.valid, true, JSON.stringify('errors' in result ? result.errors : []))
  const documented = new Set<string>()
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${path}`)
  }
  const internal = /^\/docs/
  const missing = app.routeList
    .filter((route) => !internal.test(route.url))
    .map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`)
    .filter((route) => !documented.has(route))
  assert.deepEqual(missing, [])
  assert.ok(documented.has('GET /v1/me'))
  assert.ok(documented.has('POST /admin/v1/companies'))
})

test('/docs serves the API reference page', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/docs/' })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /text\/html/)
  assert.match(response.body, /openapi\.json/)
})

// The Prometheus text format: comment lines, then `name{label="value",...} number` samples.
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/
const COMMENT = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/

test('/metrics parses as Prometheus text with request counts, latency histograms and queue depth', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  await app.inject({ method: 'GET', url: '/v1/me', headers: company.auth })
  await app.inject({ method: 'GET', url: '/v1/me' })
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /^text\/plain/)
  const lines = response.body.split('\n').filter((line) => line !== '')
  for (const line of lines) assert.ok(SAMPLE.test(line) || COMMENT.test(line), `not Prometheus text: ${line}`)
  assert.ok(lines.includes('attune_http_requests_total{method="GET",route="/v1/me",status="200"} 1'))
  assert.ok(lines.includes('attune_http_requests_total{method="GET",route="/v1/me",status="401"} 1'))
  assert.ok(lines.some((line) => line.startsWith('attune_http_request_duration_seconds_bucket{')))
  assert.ok(lines.some((line) => line.startsWith('# TYPE attune_queue_jobs gauge')))
})

test('every answer carries a request id, and a client-sent x-request-id is kept', async (t) => {
  const { app } = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'trace-123' } })
  assert.equal(response.json().error.requestId, 'trace-123')
})
