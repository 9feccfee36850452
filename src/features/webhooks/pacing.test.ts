import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createCompany } from '../../../test/helpers/company.ts'
import { startWebhookReceiver } from '../../../test/helpers/webhook-receiver.ts'
import { buildWebhookTestApp, companyNumber, createWebhook, recordEvents, waitForDispatchIdle } from '../../../test/helpers/webhooks.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'

const TIMEOUT_MS = 3000
/**
 * 20 paced starts at 100/s take 200 ms; the rest is room for a loaded 2-core machine. Well under the hanging
 * receiver's timeout, which a dispatcher that let it block would wait for.
 */
const PACING_LIMIT_MS = 1500

test("a hanging receiver holds only its own 4 slots and does not delay another receiver's deliveries", async (t) => {
  const testApp = await buildWebhookTestApp(t, { dispatcher: { timeoutMs: TIMEOUT_MS, perUrlRate: 100, perUrlConcurrency: 4 } })
  const hanging = await startWebhookReceiver(t)
  const healthy = await startWebhookReceiver(t)
  hanging.behave({ kind: 'hang' })
  const slow = testApp.company
  const other = await createCompany(testApp.app, 'Other')
  await createWebhook(testApp, slow, hanging.url, ['custom_event'])
  await createWebhook(testApp, other, healthy.url, ['custom_event'])

  // The hanging receiver's events come first, so its deliveries are claimed first.
  const event = (companyId: number) => ({ companyId, type: 'custom_event', occurredAt: new Date(), payload: {} })
  await recordEvents(testApp, Array.from({ length: 20 }, () => event(companyNumber(slow))))
  await waitFor(() => hanging.received.length === 4)
  const started = Date.now()
  await recordEvents(testApp, Array.from({ length: 20 }, () => event(companyNumber(other))))
  await waitFor(() => healthy.received.length === 20, { timeoutMs: TIMEOUT_MS })
  const took = Math.max(...healthy.received.map((r) => r.at)) - started

  assert.ok(took < PACING_LIMIT_MS, `the healthy receiver had all 20 after ${took} ms (limit ${PACING_LIMIT_MS} ms)`)
  assert.equal(hanging.received.length, 4, 'no more than 4 requests to the hanging URL while those hang')
  assert.ok(healthy.maxConcurrent <= 4)
  const gaps = healthy.received.slice(1).map((r, i) => r.at - (healthy.received[i]?.at ?? 0))
  const spread = Math.max(...healthy.received.map((r) => r.at)) - Math.min(...healthy.received.map((r) => r.at))
  // 100/s with a burst of 4: the last 16 starts are 10 ms apart.
  assert.ok(spread >= 16 * 10 - 20, `requests to one URL are paced at 100/s (20 took ${spread} ms, gaps ${gaps.join(',')})`)

  // After the timeout the hanging ones are failures, to be retried in about a minute.
  await waitFor(
    async () => (await testApp.deps.db.selectFrom('webhook_delivery_attempts').select('error').where('status_code', 'is', null).execute()).length === 4,
    { timeoutMs: TIMEOUT_MS * 2 },
  )
  const errors = await testApp.deps.db.selectFrom('webhook_delivery_attempts').select('error').where('status_code', 'is', null).execute()
  assert.deepEqual(new Set(errors.map((e) => e.error)), new Set([`no answer within ${TIMEOUT_MS} ms`]))
  await hanging.down()
})

test("one user's events are handled by a URL in the order they happened while the receiver answers", async (t) => {
  const testApp = await buildWebhookTestApp(t)
  const receiver = await startWebhookReceiver(t)
  // The receiver works on requests concurrently, taking a random time: one user's requests sent concurrently
  // would finish out of order.
  receiver.behave({ kind: 'status', status: 200, delayMs: () => Math.random() * 15 })
  await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  const companyId = companyNumber(testApp.company)
  const users = 2
  const perUser = 20
  // All in one transaction, so the dispatcher finds them all due at once, interleaved by user.
  await recordEvents(
    testApp,
    Array.from({ length: users * perUser }, (_, i) => ({
      companyId,
      type: 'custom_event',
      userId: (i % users) + 1,
      occurredAt: new Date(),
      payload: { event: { type: 'step', properties: { user: i % users, round: Math.floor(i / users) } } },
    })),
  )
  await waitFor(() => receiver.received.length === users * perUser, { timeoutMs: 10_000 })
  await waitForDispatchIdle(testApp)
  const rounds = new Map<number, number[]>()
  const byCompletion = [...receiver.received].sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0))
  for (const request of byCompletion) {
    const { user, round } = (JSON.parse(request.body.toString()) as { event: { properties: { user: number; round: number } } }).event.properties
    rounds.set(user, [...(rounds.get(user) ?? []), round])
  }
  const inOrder = Array.from({ length: perUser }, (_, i) => i)
  for (let user = 0; user < users; user++) assert.deepEqual(rounds.get(user), inOrder, `user ${user}`)
  assert.ok(receiver.maxConcurrent > 1, 'different users were sent concurrently')
})
