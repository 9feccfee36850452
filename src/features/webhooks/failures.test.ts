import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock } from '../../../test/helpers/build-test-app.ts'
import { startWebhookReceiver } from '../../../test/helpers/webhook-receiver.ts'
import {
  buildWebhookTestApp,
  companyNumber,
  createWebhook,
  deliveryStatuses,
  recordEvents,
  waitForDispatchIdle,
  type WebhookTestApp,
} from '../../../test/helpers/webhooks.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

interface LoggedDelivery {
  id: string
  status: string
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  nextAttemptAt: string | null
}

async function deliveryLog(testApp: WebhookTestApp, webhookId: string): Promise<LoggedDelivery[]> {
  const response = await testApp.app.inject({ method: 'GET', url: `/v1/webhooks/${webhookId}/deliveries`, headers: testApp.company.auth })
  assert.equal(response.statusCode, 200, response.body)
  return response.json<{ deliveries: LoggedDelivery[] }>().deliveries
}

async function webhookState(testApp: WebhookTestApp) {
  const response = await testApp.app.inject({ method: 'GET', url: '/v1/webhooks', headers: testApp.company.auth })
  return response.json<{ webhooks: Array<{ disabledAt?: string }> }>().webhooks[0]
}

async function notices(testApp: WebhookTestApp, webhookId: string) {
  const response = await testApp.app.inject({ method: 'GET', url: `/v1/webhooks/${webhookId}/notices`, headers: testApp.company.auth })
  return response.json<{ notices: Array<{ kind: string; createdAt: string }> }>().notices
}

test('a failed delivery is retried after 1 and 5 minutes under the same webhook-id, and the log shows each attempt', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const testApp = await buildWebhookTestApp(t, { clock })
  const receiver = await startWebhookReceiver(t)
  receiver.behave({ kind: 'status', status: 500 })
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  await recordEvents(testApp, [{ companyId: companyNumber(testApp.company), type: 'custom_event', occurredAt: clock.now(), payload: {} }])

  await waitFor(() => receiver.received.length === 1)
  await waitForDispatchIdle(testApp)
  let [entry] = await deliveryLog(testApp, webhook.id)
  assert.equal(entry?.status, 'pending')
  assert.equal(entry?.attempts, 1)
  assert.equal(entry?.lastStatusCode, 500)
  const retryIn = new Date(entry?.nextAttemptAt ?? 0).getTime() - clock.now().getTime()
  assert.ok(retryIn >= 54_000 && retryIn <= 66_000, `first retry after 1 min ± 10 %, got ${retryIn} ms`)

  clock.advance(50_000)
  await waitForDispatchIdle(testApp)
  assert.equal(receiver.received.length, 1, 'not retried before its time')
  clock.advance(20_000)
  await waitFor(() => receiver.received.length === 2)
  await waitForDispatchIdle(testApp)
  receiver.behave({ kind: 'status', status: 204 })
  clock.advance(6 * MINUTE)
  await waitFor(() => receiver.received.length === 3)
  await waitForDispatchIdle(testApp)

  const ids = new Set(receiver.received.map((r) => r.headers['webhook-id']))
  assert.equal(ids.size, 1, 'every attempt carries the same webhook-id')
  assert.deepEqual(receiver.received.map((r) => r.headers['x-attune-delivery-attempt']), ['1', '2', '3'])
  ;[entry] = await deliveryLog(testApp, webhook.id)
  assert.equal(entry?.status, 'succeeded')
  assert.equal(entry?.attempts, 3)
  assert.equal(entry?.lastStatusCode, 204)
  const detail = await testApp.app.inject({ method: 'GET', url: `/v1/webhooks/${webhook.id}/deliveries/${entry?.id}`, headers: testApp.company.auth })
  const attempts = detail.json<{ attempts: Array<{ attempt: number; statusCode: number; responseExcerpt: string }> }>().attempts
  assert.deepEqual(attempts.map((a) => [a.attempt, a.statusCode]), [[1, 500], [2, 500], [3, 204]])
  assert.equal(attempts[0]?.responseExcerpt, 'status 500')
})

test('a redirect is a failure and is not followed', async (t) => {
  const testApp = await buildWebhookTestApp(t)
  const receiver = await startWebhookReceiver(t)
  const elsewhere = await startWebhookReceiver(t)
  receiver.behave({ kind: 'status', status: 307, headers: { location: elsewhere.url } })
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  await recordEvents(testApp, [{ companyId: companyNumber(testApp.company), type: 'custom_event', occurredAt: new Date(), payload: {} }])
  await waitFor(() => receiver.received.length === 1)
  await waitForDispatchIdle(testApp)
  const [entry] = await deliveryLog(testApp, webhook.id)
  assert.deepEqual([entry?.status, entry?.lastStatusCode, entry?.lastError], ['pending', 307, 'answered 307'])
  assert.equal(elsewhere.received.length, 0)
})

test('replaying a delivery or a time range sends it again under the same webhook-id', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const testApp = await buildWebhookTestApp(t, { clock })
  const receiver = await startWebhookReceiver(t)
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  const companyId = companyNumber(testApp.company)
  for (const minute of [0, 10, 20]) {
    const event = { type: 'x', properties: { minute } }
    await recordEvents(testApp, [{ companyId, type: 'custom_event', occurredAt: new Date(clock.now().getTime() + minute * MINUTE), payload: { event } }])
  }
  await waitFor(() => receiver.received.length === 3)
  await waitForDispatchIdle(testApp)
  const [newest] = await deliveryLog(testApp, webhook.id)

  const one = await testApp.app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/deliveries/${newest?.id}/replay`, headers: testApp.company.auth })
  assert.equal(one.statusCode, 202, one.body)
  assert.deepEqual(one.json(), { replayed: 1 })
  await waitFor(() => receiver.received.length === 4)
  await waitForDispatchIdle(testApp)
  assert.equal(receiver.received[3]?.headers['webhook-id'], newest?.id)
  assert.equal(receiver.received[3]?.headers['x-attune-delivery-attempt'], '2')

  const range = await testApp.app.inject({
    method: 'POST',
    url: `/v1/webhooks/${webhook.id}/replay`,
    headers: testApp.company.auth,
    payload: { from: '2026-01-15T15:05:00Z', to: '2026-01-15T15:25:00Z' },
  })
  assert.deepEqual(range.json(), { replayed: 2 })
  await waitFor(() => receiver.received.length === 6)
  const minutes = receiver.received.slice(4).map((r) => (JSON.parse(r.body.toString()) as { event: { properties: { minute: number } } }).event.properties.minute)
  assert.deepEqual(minutes.sort(), [10, 20])

  const unknown = await testApp.app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/deliveries/00000000-0000-4000-8000-000000000000/replay`, headers: testApp.company.auth })
  assert.equal(unknown.statusCode, 404)
  await testApp.app.inject({ method: 'PUT', url: `/v1/webhooks/${webhook.id}`, headers: testApp.company.auth, payload: { disabled: true } })
  const refused = await testApp.app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/deliveries/${newest?.id}/replay`, headers: testApp.company.auth })
  assert.equal(refused.statusCode, 400)
  assert.equal(refused.json<{ error: { code: string } }>().error.code, 'webhook_disabled')
})

test('410 Gone disables the webhook at once, cancels its pending deliveries and records a notice', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const testApp = await buildWebhookTestApp(t, { clock, dispatcher: { perUrlConcurrency: 1 } })
  const receiver = await startWebhookReceiver(t)
  receiver.behave({ kind: 'status', status: 410 })
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  const companyId = companyNumber(testApp.company)
  await recordEvents(testApp, Array.from({ length: 5 }, () => ({ companyId, type: 'custom_event', occurredAt: clock.now(), payload: {} })))
  await waitFor(async () => (await webhookState(testApp))?.disabledAt !== undefined)
  await waitForDispatchIdle(testApp)
  assert.equal((await webhookState(testApp))?.disabledAt, '2026-01-15 15:00:00')
  assert.equal(receiver.received.length, 1, 'one request at a time, and none after the 410')
  assert.deepEqual(await deliveryStatuses(testApp), { failed: 1, cancelled: 4 })
  assert.deepEqual((await notices(testApp, webhook.id)).map((n) => n.kind), ['disabled_gone'])
})

test('a webhook failing for 24 hours gets a notice and is disabled at 72 hours, when retries stop', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  // No jitter, so the schedule is exact.
  const testApp = await buildWebhookTestApp(t, { clock, dispatcher: { random: () => 0.5 } })
  const receiver = await startWebhookReceiver(t)
  receiver.behave({ kind: 'status', status: 503 })
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  await recordEvents(testApp, [{ companyId: companyNumber(testApp.company), type: 'custom_event', occurredAt: clock.now(), payload: {} }])
  const started = clock.now().getTime()
  while (clock.now().getTime() - started <= 80 * HOUR && !(await webhookState(testApp))?.disabledAt) {
    await waitForDispatchIdle(testApp)
    // Nothing is due for hours between late retries: skip ahead to the next one.
    const next = await testApp.deps.db.selectFrom('webhook_deliveries').select('next_attempt_at').where('status', '=', 'pending').executeTakeFirst()
    clock.set(next?.next_attempt_at instanceof Date ? next.next_attempt_at : new Date(clock.now().getTime() + MINUTE))
  }
  const attempts = await testApp.deps.db.selectFrom('webhook_delivery_attempts').select('attempted_at').orderBy('attempt').execute()
  const attemptsAt = attempts.map((a) => (a.attempted_at.getTime() - started) / MINUTE)
  // The first, then after 1 min, 5 min, 30 min, 2 h, 6 h, then every 12 h, the last at 72 h.
  assert.deepEqual(attemptsAt, [0, 1, 6, 36, 156, 516, 1236, 1956, 2676, 3396, 4116, 4320])
  assert.equal(receiver.received.length, 12)
  const kinds = await notices(testApp, webhook.id)
  assert.deepEqual(kinds.map((n) => n.kind), ['disabled_failing', 'failing'])
  assert.equal(kinds[1]?.createdAt.slice(0, 10), '2026-01-16', 'the failing notice came after 24 h')
  assert.equal((await webhookState(testApp))?.disabledAt, '2026-01-18 15:00:00')
  assert.deepEqual(await deliveryStatuses(testApp), { failed: 1 })
})
