import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SandboxCarrier } from '../src/carriers/sandbox.ts'
import { startMessageDispatcher } from '../src/features/messages/dispatcher.ts'
import { ManualClock } from './helpers/build-test-app.ts'
import { textIn } from './helpers/inbound.ts'
import { createSource } from './helpers/subscribers.ts'
import { startWebhookReceiver } from './helpers/webhook-receiver.ts'
import { buildWebhookTestApp, createWebhook, verifyAttentive, verifyStandard, waitForDispatchIdle } from './helpers/webhooks.ts'
import { waitFor } from './helpers/wait-for.ts'

const PHONE = '+17707651750'
const EMAIL = 'jane@example.com'
/** Noon in the recipient's zone, so quiet hours hold no text back. */
const NOON_EASTERN = '2026-03-04T17:00:00Z'

type Body = Record<string, unknown> & { type: string; subscriber: Record<string, unknown> }

test('a subscribe, a custom event, an attribute, a text sent and delivered, and a STOP each reach the webhook end to end', async (t) => {
  const clock = new ManualClock(NOON_EASTERN)
  const testApp = await buildWebhookTestApp(t, { clock })
  const { app, company, deps } = testApp
  const carrier = new SandboxCarrier({ db: deps.db, clock, receiptDelayMs: 0, outcomes: { delivered: 1 } })
  const silent = { info() {}, warn() {}, error() {} }
  const messages = startMessageDispatcher({ db: deps.db, clock, log: silent, carrier, pollIntervalMs: 20, receiptIntervalMs: 20 })
  t.after(() => messages.stop())
  const receiver = await startWebhookReceiver(t)
  const events = ['sms.subscribed', 'email.subscribed', 'custom_event', 'custom_attribute.set', 'sms.sent', 'sms.delivered', 'sms.unsubscribed']
  const webhook = await createWebhook(testApp, company, receiver.url, events)
  const post = async (url: string, payload: object, status: number) => {
    const response = await app.inject({ method: 'POST', url, headers: company.auth, payload })
    assert.equal(response.statusCode, status, `${url}: ${response.body}`)
    return response.json<Record<string, unknown>>()
  }

  const source = await createSource(app, company, { id: 'checkout' })
  await post('/v1/subscriptions', { user: { phone: PHONE, email: EMAIL }, signUpSourceId: source }, 202)
  await post('/v1/events/custom', { type: 'Order Shipped', properties: { orderId: 'A1' }, user: { phone: PHONE } }, 200)
  await post('/v1/attributes/custom', { properties: { VIP: 'TRUE' }, user: { phone: PHONE } }, 200)
  const sent = await post('/v1/text/send', { to: PHONE, subscriptionType: 'MARKETING', body: 'Hi from Acme', messageName: 'Spring sale' }, 200)
  await waitFor(() => receiver.received.some((r) => JSON.parse(r.body.toString()).type === 'sms.delivered'), { description: 'sms.delivered' })
  const stop = await textIn(app, company, PHONE, 'STOP')
  assert.equal(stop.intent, 'opt_out')

  // The STOP's confirmation text is a message too: it is sent and delivered, and announced like any other.
  const parse = (request: { body: Buffer }) => JSON.parse(request.body.toString()) as Body
  const optOutTexts = () => receiver.received.map(parse).filter((b) => (b.message as { type?: string } | undefined)?.type === 'OPT_OUT')
  await waitFor(() => optOutTexts().length === 2, { description: 'the opt-out confirmation sent and delivered' })
  await waitForDispatchIdle(testApp)
  const now = Math.floor(clock.now().getTime() / 1000)
  const bodies = new Map<string, Body>()
  for (const request of receiver.received) {
    assert.ok(verifyAttentive(webhook.secret, request.body, request.headers))
    assert.ok(verifyStandard(webhook.secret, request.body, request.headers, now))
    const body = parse(request)
    if ((body.message as { type?: string } | undefined)?.type !== 'OPT_OUT') bodies.set(body.type, body)
  }
  assert.deepEqual([...bodies.keys()].sort(), [...events].sort())
  assert.equal(receiver.received.length, events.length + 2, 'one webhook each, and two for the confirmation text')
  assert.deepEqual(optOutTexts().map((b) => b.type).sort(), ['sms.delivered', 'sms.sent'])

  const subscribed = bodies.get('sms.subscribed')
  const userId = subscribed?.subscriber.external_id
  assert.ok(typeof userId === 'number')
  const subscriber = { external_id: userId, phone: PHONE, email: EMAIL }
  assert.deepEqual(subscribed?.subscriber, subscriber)
  assert.deepEqual(subscribed?.subscription, { type: 'MARKETING' })
  assert.deepEqual(subscribed?.company, { display_name: 'Acme', company_id: company.id })
  assert.deepEqual(bodies.get('email.subscribed')?.subscription, { type: 'MARKETING' })
  assert.deepEqual(bodies.get('custom_event')?.event, { type: 'Order Shipped', properties: { orderId: 'A1' } })
  assert.equal(bodies.get('custom_event')?.subscriber.phone, PHONE)
  assert.equal((bodies.get('custom_attribute.set')?.user_property as { name: string }).name, 'VIP')
  for (const type of ['sms.sent', 'sms.delivered']) {
    const message = bodies.get(type)?.message as Record<string, unknown>
    assert.deepEqual(bodies.get(type)?.subscriber, subscriber, type)
    assert.deepEqual([message.id, message.text, message.name, message.channel], [sent.messageId, 'Hi from Acme', 'Spring sale', 'TEXT'], type)
  }
  assert.equal((bodies.get('sms.delivered')?.receipt as { status: string }).status, 'delivered')
  assert.deepEqual(bodies.get('sms.unsubscribed')?.subscription, { type: 'MARKETING' })
  assert.equal(bodies.get('sms.unsubscribed')?.subscriber.phone, PHONE)
})
