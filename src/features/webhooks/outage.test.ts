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
} from '../../../test/helpers/webhooks.ts'

const MINUTE = 60_000
const EVENTS = 1000
const OUTAGE_MINUTES = 60
const USERS = 40

test('a receiver down for 60 minutes while 1,000 events happen gets every event once it is back, each under one id', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const testApp = await buildWebhookTestApp(t, { clock, dispatcher: { perUrlRate: 100_000 } })
  const receiver = await startWebhookReceiver(t)
  await createWebhook(testApp, testApp.company, receiver.url, ['custom_event', 'sms.sent'])
  const companyId = companyNumber(testApp.company)
  await receiver.down()

  // The events arrive spread over the outage, one batch a minute; the dispatcher keeps trying (and failing).
  let sequence = 0
  for (let minute = 0; minute < OUTAGE_MINUTES; minute++) {
    const batch = Math.round(((minute + 1) * EVENTS) / OUTAGE_MINUTES) - sequence
    await recordEvents(
      testApp,
      Array.from({ length: batch }, () => {
        sequence += 1
        return {
          companyId,
          type: sequence % 2 === 0 ? 'custom_event' : 'sms.sent',
          userId: (sequence % USERS) + 1,
          occurredAt: clock.now(),
          payload: { event: { type: 'seq', properties: { sequence } }, message: { id: sequence } },
        }
      }),
    )
    await waitForDispatchIdle(testApp)
    clock.advance(MINUTE)
  }
  assert.equal(sequence, EVENTS)
  assert.equal(receiver.received.length, 0)
  const attempts = await testApp.deps.db.selectFrom('webhook_delivery_attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  assert.ok(Number(attempts.n) > EVENTS * 2, `retried during the outage (${attempts.n} failed attempts)`)

  await receiver.up()
  for (let step = 0; step < 60 && (await deliveryStatuses(testApp)).pending; step++) {
    await waitForDispatchIdle(testApp)
    clock.advance(5 * MINUTE)
  }
  await waitForDispatchIdle(testApp)

  assert.deepEqual(await deliveryStatuses(testApp), { succeeded: EVENTS }, 'none lost, none given up')
  const idsBySequence = new Map<number, Set<string>>()
  const sequencesById = new Map<string, Set<number>>()
  for (const request of receiver.succeeded()) {
    const body = JSON.parse(request.body.toString()) as { type: string; event?: { properties: { sequence: number } }; message?: { id: string } }
    const seq = body.type === 'custom_event' ? body.event?.properties.sequence : Number(Buffer.from(body.message?.id ?? '', 'base64url').toString().slice('07:Message'.length))
    const id = String(request.headers['webhook-id'])
    assert.ok(typeof seq === 'number' && seq >= 1 && seq <= EVENTS, `a known event: ${request.body.toString()}`)
    idsBySequence.set(seq, (idsBySequence.get(seq) ?? new Set()).add(id))
    sequencesById.set(id, (sequencesById.get(id) ?? new Set()).add(seq))
  }
  assert.equal(idsBySequence.size, EVENTS, 'every event arrived')
  assert.ok([...idsBySequence.values()].every((ids) => ids.size === 1), 'no event arrived under two ids')
  assert.ok([...sequencesById.values()].every((seqs) => seqs.size === 1), 'no id carried two events')

  // And once the receiver says the URL is gone, the webhook is disabled.
  receiver.behave({ kind: 'status', status: 410 })
  await recordEvents(testApp, [{ companyId, type: 'sms.sent', occurredAt: clock.now(), payload: {} }])
  await waitForDispatchIdle(testApp)
  const webhook = await testApp.deps.db.selectFrom('webhooks').select(['disabled_at', 'disabled_reason']).executeTakeFirstOrThrow()
  assert.deepEqual(webhook, { disabled_at: clock.now(), disabled_reason: 'gone' })
})
