import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSource } from './helpers/subscribers.ts'
import { startWebhookReceiver } from './helpers/webhook-receiver.ts'
import {
  buildWebhookTestApp,
  companyNumber,
  createWebhook,
  recordEvents,
  verifyAttentive,
  verifyStandard,
  waitForDispatchIdle,
} from './helpers/webhooks.ts'
import { waitFor } from './helpers/wait-for.ts'

const PHONE = '+17707651750'
const EMAIL = 'jane@example.com'

type Body = Record<string, unknown> & { type: string; subscriber: Record<string, unknown> }

test('a subscribe, a custom event, an attribute, a sent text and an opt-out each reach the webhook end to end', async (t) => {
  const testApp = await buildWebhookTestApp(t)
  const { app, company } = testApp
  const receiver = await startWebhookReceiver(t)
  const events = ['sms.subscribed', 'email.subscribed', 'custom_event', 'custom_attribute.set', 'sms.sent', 'sms.unsubscribed']
  const webhook = await createWebhook(testApp, company, receiver.url, events)
  const post = async (url: string, payload: object, status: number) => {
    const response = await app.inject({ method: 'POST', url, headers: company.auth, payload })
    assert.equal(response.statusCode, status, `${url}: ${response.body}`)
  }

  const source = await createSource(app, company, { id: 'checkout' })
  await post('/v1/subscriptions', { user: { phone: PHONE, email: EMAIL }, signUpSourceId: source }, 202)
  await post('/v1/events/custom', { type: 'Order Shipped', properties: { orderId: 'A1' }, user: { phone: PHONE } }, 200)
  await post('/v1/attributes/custom', { properties: { VIP: 'TRUE' }, user: { phone: PHONE } }, 200)
  // The send pipeline's sms.sent, written as its receipts write it (the carrier hand-off is another feature's).
  const user = await testApp.deps.db.selectFrom('user_identifiers').select('user_id').where('value', '=', PHONE).executeTakeFirstOrThrow()
  await recordEvents(testApp, [
    {
      companyId: companyNumber(company),
      type: 'sms.sent',
      userId: user.user_id,
      occurredAt: new Date(),
      payload: { message: { id: 127250, type: 'ONE_TIME', name: 'Spring sale', text: 'Acme: 20% off', channel: 'TEXT' } },
    },
  ])
  await post('/v1/subscriptions/unsubscribe', { user: { phone: PHONE }, subscriptions: [{ type: 'MARKETING', channel: 'TEXT' }] }, 202)

  await waitFor(() => receiver.succeeded().length >= events.length, { description: `${events.length} webhooks` })
  await waitForDispatchIdle(testApp)
  const now = Math.floor(Date.now() / 1000)
  const bodies = new Map<string, Body>()
  for (const request of receiver.received) {
    assert.ok(verifyAttentive(webhook.secret, request.body, request.headers))
    assert.ok(verifyStandard(webhook.secret, request.body, request.headers, now))
    const body = JSON.parse(request.body.toString()) as Body
    bodies.set(body.type, body)
  }
  assert.deepEqual([...bodies.keys()].sort(), [...events].sort())
  assert.equal(receiver.received.length, events.length, 'one webhook each')

  const subscriber = { external_id: user.user_id, phone: PHONE, email: EMAIL }
  const subscribed = bodies.get('sms.subscribed')
  assert.deepEqual(subscribed?.subscriber, subscriber)
  assert.deepEqual(subscribed?.subscription, { type: 'MARKETING' })
  assert.deepEqual(subscribed?.company, { display_name: 'Acme', company_id: company.id })
  assert.deepEqual(bodies.get('email.subscribed')?.subscription, { type: 'MARKETING' })
  assert.deepEqual(bodies.get('custom_event')?.event, { type: 'Order Shipped', properties: { orderId: 'A1' } })
  assert.equal(bodies.get('custom_event')?.subscriber.phone, PHONE)
  assert.deepEqual((bodies.get('custom_attribute.set')?.user_property as { name: string; value: string }).name, 'VIP')
  assert.deepEqual(bodies.get('sms.sent')?.subscriber, subscriber)
  assert.equal((bodies.get('sms.sent')?.message as { id: string }).id, 'MDc6TWVzc2FnZTEyNzI1MA')
  assert.deepEqual(bodies.get('sms.unsubscribed')?.subscription, { type: 'MARKETING' })
  assert.equal(bodies.get('sms.unsubscribed')?.subscriber.phone, PHONE)
})
