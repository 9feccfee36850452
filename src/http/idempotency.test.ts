import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { buildTestApp, ManualClock } from '../../test/helpers/build-test-app.ts'
import { createCompany } from '../../test/helpers/company.ts'
import { waitFor } from '../../test/helpers/wait-for.ts'
import { IDEMPOTENCY_TTL_MS, IN_FLIGHT_LEASE_MS } from './idempotency.ts'

/**
 * The real app plus one write route standing in for any handler under test: it counts its runs, can be held
 * open, and fails when asked. Whatever it answers is what a repeat must get again.
 */
async function appWithProbe(t: TestContext, clock = new ManualClock()) {
  const built = await buildTestApp(t, { clock })
  const probe = { runs: 0, gate: undefined as Promise<void> | undefined, entered: 0, failNext: false }
  built.app.post('/v1/probe', { config: { auth: 'key' } }, async (request, reply) => {
    probe.entered++
    await probe.gate
    probe.runs++
    if (probe.failNext) {
      probe.failNext = false
      throw new Error('probe fault')
    }
    return reply.status(201).header('x-probe', 'yes').send({ run: probe.runs, echo: request.body })
  })
  built.app.post('/v1/probe-off', { config: { auth: 'key', idempotent: false } }, async () => ({ run: ++probe.runs }))
  const company = await createCompany(built.app)
  const send = (key: string | undefined, payload: object = { a: 1 }, url = '/v1/probe', auth = company.auth) =>
    built.app.inject({ method: 'POST', url, headers: { ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload })
  return { ...built, clock, probe, company, send }
}

test('the same key and body get the first answer again, with its status, without running again', async (t) => {
  const { probe, send } = await appWithProbe(t)
  const first = await send('key-1')
  const again = await send('key-1')
  assert.equal(first.statusCode, 201)
  assert.equal(again.statusCode, 201)
  assert.equal(again.body, first.body)
  assert.match(String(again.headers['content-type']), /application\/json/)
  assert.equal(again.headers['idempotent-replayed'], 'true')
  assert.equal(first.headers['idempotent-replayed'], undefined)
  assert.equal(probe.runs, 1)
  assert.equal((await send(undefined)).statusCode, 201, 'no header: no idempotency')
  assert.equal(probe.runs, 2)
})

test('the same key with another body is refused with 422 and does not run', async (t) => {
  const { probe, send } = await appWithProbe(t)
  await send('key-2', { a: 1 })
  const other = await send('key-2', { a: 2 })
  assert.equal(other.statusCode, 422)
  const error = other.json<{ error: { code: string; field: string; message: string } }>().error
  assert.equal(error.code, 'idempotency_key_reused')
  assert.equal(error.field, 'header idempotency-key')
  assert.match(error.message, /send a new key/)
  assert.equal((await send('key-2', { a: 1 }, '/v1/probe-off')).statusCode, 200, 'a route that opts out ignores the key')
  assert.equal(probe.runs, 2)
})

test('a repeat while the first request still runs gets 409, and the answer once it has finished', async (t) => {
  const { probe, send } = await appWithProbe(t)
  let open: () => void = () => {}
  probe.gate = new Promise((resolve) => (open = resolve))
  const first = send('key-3')
  await waitFor(() => probe.entered === 1)
  const during = await send('key-3')
  assert.equal(during.statusCode, 409)
  assert.equal(during.json<{ error: { code: string } }>().error.code, 'idempotency_key_in_flight')
  assert.equal(during.headers['retry-after'], '1')
  open()
  assert.equal((await first).statusCode, 201)
  const after = await send('key-3')
  assert.equal(after.statusCode, 201)
  assert.equal(probe.runs, 1)
})

test('a 5xx answer is not kept: a retry with the same key runs again', async (t) => {
  const { probe, send } = await appWithProbe(t)
  probe.failNext = true
  assert.equal((await send('key-4')).statusCode, 500)
  const retry = await send('key-4')
  assert.equal(retry.statusCode, 201)
  assert.equal(retry.json<{ run: number }>().run, 2)
})

test('keys belong to a company, last 24 hours, and a key left in flight by a dead process frees after its lease', async (t) => {
  const { app, deps, clock, probe, send } = await appWithProbe(t)
  const other = await createCompany(app, 'Other')
  await send('key-5')
  assert.equal((await send('key-5', { a: 1 }, '/v1/probe', other.auth)).statusCode, 201, "another company's key is its own")
  assert.equal(probe.runs, 2)
  clock.advance(IDEMPOTENCY_TTL_MS + 1000)
  const later = await send('key-5', { a: 9 })
  assert.equal(later.statusCode, 201, 'after 24 hours the key is free for any request')
  assert.equal(probe.runs, 3)
  // A process that died mid-request leaves the key in flight (status_code null).
  const lease = new Date(clock.now().getTime() + IN_FLIGHT_LEASE_MS)
  await deps.db.updateTable('idempotency_keys').set({ status_code: null, locked_until: lease }).where('key', '=', 'key-5').execute()
  assert.equal((await send('key-5', { a: 9 })).statusCode, 409)
  clock.advance(IN_FLIGHT_LEASE_MS + 1000)
  assert.equal((await send('key-5', { a: 8 })).statusCode, 422, 'another request never takes over')
  assert.equal((await send('key-5', { a: 9 })).statusCode, 201, 'the lease is over: the same request runs again')
  assert.equal(probe.runs, 4)
})

test('a key that is not 1-255 visible ASCII characters is a 400 naming the header', async (t) => {
  const { probe, send } = await appWithProbe(t)
  for (const key of ['', 'x'.repeat(256), 'has space']) {
    const response = await send(key)
    assert.equal(response.statusCode, 400, JSON.stringify(key))
    assert.equal(response.json<{ error: { field: string } }>().error.field, 'header idempotency-key')
  }
  assert.equal(probe.runs, 0)
})
