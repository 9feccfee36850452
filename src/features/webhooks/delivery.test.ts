import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock } from '../../../test/helpers/build-test-app.ts'
import { startWebhookReceiver, type ReceivedRequest } from '../../../test/helpers/webhook-receiver.ts'
import {
  buildWebhookTestApp,
  companyNumber,
  createWebhook,
  recordEvents,
  verifyAttentive,
  verifyStandard,
  waitForDispatchIdle,
} from '../../../test/helpers/webhooks.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { recordDomainEvents } from '../domain-events/domain-events.queries.ts'
import { EVENT_TYPES } from './event-types.ts'

const SNAPSHOT = {
  userId: 16467358,
  phone: '+15555555555',
  email: 'test@gmail.com',
  externalIdentifiers: { clientUserId: ['u-123'], customIdentifiers: { loyaltyId: ['1122334455'] } },
}
const MESSAGE = { id: 127250, type: 'ONE_TIME', name: 'Spring sale', text: 'Acme: 20% off', channel: 'TEXT' }

/** One domain event per webhook event type, written as the recording features write them (Attune's words). */
const EVENTS: Record<string, Record<string, unknown>> = {
  'sms.subscribed': {
    subscriber: SNAPSHOT,
    subscription: { type: 'MARKETING', channel: 'TEXT' },
    creative: { name: 'Text to Join', type: 'TEXT_TO_JOIN', subtype: 'CODE' },
  },
  'email.subscribed': { subscriber: SNAPSHOT, subscription: { type: 'MARKETING', channel: 'EMAIL' }, creative: { name: 'Footer', type: 'API', subtype: 'DIRECT' } },
  'sms.unsubscribed': { subscriber: SNAPSHOT, subscription: { type: 'MARKETING', channel: 'TEXT' } },
  'email.unsubscribed': { subscriber: SNAPSHOT, subscription: { type: 'TRANSACTIONAL', channel: 'EMAIL' } },
  'sms.sent': { message: MESSAGE },
  'email.sent': { message: { ...MESSAGE, channel: 'EMAIL', subject: 'Spring' } },
  'sms.message_link_click': { message: MESSAGE, link: { url: 'https://acme.example/p/1' } },
  'email.message_link_click': { message: MESSAGE, link: { url: 'https://acme.example/p/2' } },
  'email.opened': { message: MESSAGE },
  'sms.inbound_message': { message: { type: 'TYPE_CONVERSATION', text: 'Where is my order?', toPhone: '+18885550100' } },
  'custom_attribute.set': { userProperty: { id: 'a1', name: 'VIP', value: 'TRUE' } },
  'sms.delivered': { message: MESSAGE, receipt: { status: 'DELIVERED', carrierCode: '000' } },
  'sms.failed': { message: MESSAGE, receipt: { status: 'FAILED', carrierCode: '30003' } },
  custom_event: { event: { type: 'Order Shipped', properties: { orderId: 'A1', trackingUrl: 'https://t.example/1' }, externalEventId: 'e-1' } },
}

function parse(request: ReceivedRequest): Record<string, unknown> {
  return JSON.parse(request.body.toString('utf8')) as Record<string, unknown>
}

test('every subscribed event type reaches a real receiver with a body that verifies under both signatures', async (t) => {
  const testApp = await buildWebhookTestApp(t)
  const receiver = await startWebhookReceiver(t)
  const types = EVENT_TYPES.filter((type) => !type.startsWith('phone.'))
  assert.deepEqual([...types].sort(), Object.keys(EVENTS).sort(), 'the test covers every event type')
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, types)
  const companyId = companyNumber(testApp.company)
  const now = new Date()
  const user = await testApp.deps.db
    .insertInto('users')
    .values({ company_id: companyId, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow()
  await testApp.deps.db
    .insertInto('user_identifiers')
    .values([
      { company_id: companyId, user_id: user.id, kind: 'phone', value: '+15555550123', value_key: '+15555550123', created_at: now },
      { company_id: companyId, user_id: user.id, kind: 'client_user_id', value: 'c-9', value_key: 'c-9', created_at: now },
    ])
    .execute()
  const occurredAt = new Date('2026-01-15T15:00:00.123Z')
  await recordEvents(testApp, types.map((type) => ({ companyId, type, userId: user.id, occurredAt, payload: EVENTS[type] })))

  await waitFor(() => receiver.succeeded().length === types.length, { description: `${types.length} deliveries` })
  await waitForDispatchIdle(testApp)
  const byType = new Map(receiver.received.map((request) => [parse(request).type as string, request]))
  assert.deepEqual([...byType.keys()].sort(), [...types].sort())
  const nowSeconds = Math.floor(Date.now() / 1000)
  for (const [type, request] of byType) {
    const text = request.body.toString('utf8')
    assert.equal(JSON.stringify(JSON.parse(text)), text, `${type}: the body is compact JSON.stringify output`)
    assert.ok(verifyAttentive(webhook.secret, request.body, request.headers), `${type}: x-attentive-hmac-sha256 verifies`)
    assert.ok(verifyStandard(webhook.secret, request.body, request.headers, nowSeconds), `${type}: webhook-signature verifies`)
    const tampered = Buffer.from(text.replace('"company"', '"Company"'))
    assert.ok(!verifyAttentive(webhook.secret, tampered, request.headers), `${type}: a tampered body fails Attentive's check`)
    assert.ok(!verifyStandard(webhook.secret, tampered, request.headers, nowSeconds), `${type}: a tampered body fails`)
    const sentAt = Number(request.headers['webhook-timestamp'])
    assert.ok(verifyStandard(webhook.secret, request.body, request.headers, sentAt + 299), `${type}: 299 s later still verifies`)
    assert.ok(!verifyStandard(webhook.secret, request.body, request.headers, sentAt + 301), `${type}: an old timestamp fails`)
    assert.ok(!verifyStandard(`whsec_${Buffer.alloc(32).toString('base64')}`, request.body, request.headers, nowSeconds))
    assert.equal(request.headers['content-type'], 'application/json')
    assert.equal(request.headers['user-agent'], 'Attune-Webhooks/1')
    assert.equal(request.headers['x-attune-event-id'], request.headers['webhook-id'])
    assert.equal(request.headers['x-attune-delivery-attempt'], '1')
    assert.equal(request.headers['x-attune-timestamp'], request.headers['webhook-timestamp'])
    assert.match(String(request.headers['x-attune-signature']), new RegExp(`^t=${sentAt},v1=[0-9a-f]{64}$`))
  }

  const company = { display_name: 'Acme', company_id: testApp.company.id }
  const recorded = { external_id: 16467358, phone: '+15555555555', email: 'test@gmail.com', external_identifiers: { client_user_id: ['u-123'], custom_identifiers: { loyaltyId: ['1122334455'] } } }
  const live = { external_id: user.id, phone: '+15555550123', external_identifiers: { client_user_id: ['c-9'] } }
  const body = (type: string) => parse(byType.get(type) as ReceivedRequest)
  assert.deepEqual(body('sms.subscribed'), {
    type: 'sms.subscribed',
    timestamp: occurredAt.getTime(),
    company,
    subscriber: recorded,
    creative: { name: 'Text to Join', type: 'TEXT_TO_JOIN', subtype: 'CODE' },
    subscription: { type: 'MARKETING' },
  })
  assert.deepEqual(body('email.unsubscribed'), { type: 'email.unsubscribed', timestamp: occurredAt.getTime(), company, subscriber: recorded, subscription: { type: 'TRANSACTIONAL' } })
  const wireMessage = { id: 'MDc6TWVzc2FnZTEyNzI1MA', type: 'ONE_TIME', name: 'Spring sale', text: 'Acme: 20% off', channel: 'TEXT' }
  assert.deepEqual(body('sms.sent'), { type: 'sms.sent', timestamp: occurredAt.getTime(), company, subscriber: live, message: wireMessage })
  assert.deepEqual(body('sms.message_link_click').link, { url: 'https://acme.example/p/1' })
  assert.deepEqual(body('email.sent').message, { ...wireMessage, channel: 'EMAIL', subject: 'Spring' })
  assert.deepEqual(body('sms.inbound_message').message, { type: 'TYPE_CONVERSATION', text: 'Where is my order?', to_phone: '+18885550100' })
  assert.deepEqual(body('custom_attribute.set').user_property, { id: 'a1', name: 'VIP', value: 'TRUE' })
  assert.deepEqual(body('sms.failed').receipt, { status: 'FAILED', carrier_code: '30003' })
  assert.deepEqual(body('custom_event').event, {
    type: 'Order Shipped',
    properties: { orderId: 'A1', trackingUrl: 'https://t.example/1' },
    external_event_id: 'e-1',
  })

  const log = await testApp.app.inject({ method: 'GET', url: `/v1/webhooks/${webhook.id}/deliveries?status=succeeded`, headers: testApp.company.auth })
  const entries = log.json<{ deliveries: Array<{ id: string; attempts: number; lastStatusCode: number; latencyMs: number }> }>().deliveries
  assert.equal(entries.length, types.length)
  for (const entry of entries) {
    assert.equal(entry.attempts, 1)
    assert.equal(entry.lastStatusCode, 200)
    assert.ok(Number.isInteger(entry.latencyMs) && entry.latencyMs >= 0)
  }
  assert.deepEqual(new Set(entries.map((e) => e.id)), new Set(receiver.received.map((r) => r.headers['webhook-id'])))
})

test('a phone.* subscription gets the sms event under the registered name and nothing it did not list', async (t) => {
  const testApp = await buildWebhookTestApp(t)
  const receiver = await startWebhookReceiver(t)
  await createWebhook(testApp, testApp.company, receiver.url, ['phone.subscribed'])
  const companyId = companyNumber(testApp.company)
  const occurredAt = new Date()
  await recordEvents(testApp, [
    { companyId, type: 'sms.sent', occurredAt, payload: {} },
    { companyId, type: 'sms.subscribed', occurredAt, payload: { subscriber: SNAPSHOT, subscription: { type: 'MARKETING' } } },
    { companyId, type: 'email.subscribed', occurredAt, payload: {} },
  ])
  await waitFor(() => receiver.received.length === 1)
  await waitForDispatchIdle(testApp)
  assert.equal(receiver.received.length, 1)
  assert.equal(parse(receiver.received[0] as ReceivedRequest).type, 'phone.subscribed')
  const rows = await testApp.deps.db.selectFrom('webhook_deliveries').select('event_type').execute()
  assert.deepEqual(rows, [{ event_type: 'phone.subscribed' }])
})

test('during a secret rotation both secrets sign; after the overlap only the new one does', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const testApp = await buildWebhookTestApp(t, { clock })
  const receiver = await startWebhookReceiver(t)
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  const rotated = await testApp.app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/secret/rotate`, headers: testApp.company.auth })
  const fresh = rotated.json<{ secret: string }>().secret
  const companyId = companyNumber(testApp.company)
  const at = () => Math.floor(clock.now().getTime() / 1000)

  await recordEvents(testApp, [{ companyId, type: 'custom_event', occurredAt: clock.now(), payload: {} }])
  await waitFor(() => receiver.received.length === 1)
  await waitForDispatchIdle(testApp)
  const during = receiver.received[0] as ReceivedRequest
  assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2)
  assert.equal(String(during.headers['x-attune-signature']).split(',').length, 3)
  assert.ok(verifyStandard(fresh, during.body, during.headers, at()), 'the new secret verifies')
  assert.ok(verifyStandard(webhook.secret, during.body, during.headers, at()), 'the old secret still verifies')
  assert.ok(verifyAttentive(fresh, during.body, during.headers), "Attentive's header uses the new secret")
  assert.ok(!verifyAttentive(webhook.secret, during.body, during.headers))

  clock.advance(24 * 3_600_000 + 1000)
  await recordEvents(testApp, [{ companyId, type: 'custom_event', occurredAt: clock.now(), payload: {} }])
  await waitFor(() => receiver.received.length === 2)
  const after = receiver.received[1] as ReceivedRequest
  assert.equal(String(after.headers['webhook-signature']).split(' ').length, 1)
  assert.ok(verifyStandard(fresh, after.body, after.headers, at()))
  assert.ok(!verifyStandard(webhook.secret, after.body, after.headers, at()), 'the old secret no longer signs')
})

test('an event of a rolled-back transaction, of a paused webhook, or of another company makes no delivery', async (t) => {
  const testApp = await buildWebhookTestApp(t)
  const receiver = await startWebhookReceiver(t)
  const webhook = await createWebhook(testApp, testApp.company, receiver.url, ['custom_event'])
  const companyId = companyNumber(testApp.company)
  const event = { companyId, type: 'custom_event', occurredAt: new Date(), payload: {} }
  await assert.rejects(
    testApp.deps.db.transaction().execute(async (tx) => {
      await recordDomainEvents(tx, [event])
      throw new Error('rolled back')
    }),
  )
  const other = await createCompany(testApp.app, 'Other')
  await recordEvents(testApp, [{ ...event, companyId: companyNumber(other) }])
  const paused = await testApp.app.inject({ method: 'PUT', url: `/v1/webhooks/${webhook.id}`, headers: testApp.company.auth, payload: { disabled: true } })
  assert.equal(paused.statusCode, 200)
  await recordEvents(testApp, [event])
  assert.equal((await testApp.deps.db.selectFrom('webhook_deliveries').select('id').execute()).length, 0)

  await testApp.app.inject({ method: 'PUT', url: `/v1/webhooks/${webhook.id}`, headers: testApp.company.auth, payload: { disabled: false } })
  await recordEvents(testApp, [event])
  await waitFor(() => receiver.received.length === 1)
  await waitForDispatchIdle(testApp)
  assert.equal(receiver.received.length, 1, 'the paused period is not replayed on resume')
})
