import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock, type buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { assertCrossCompanyDenied, createCompany, createKey } from '../../../test/helpers/company.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import { findUserId } from '../users/identity.service.ts'
import {
  companyNumber,
  messageRow,
  setCompanySettings,
  subscribePhone,
  buildMessagingApp,
} from './messages.fixtures.ts'

const NOON_EASTERN = '2026-03-04T17:00:00Z'
const PHONE = '+17707651750'

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const clock = new ManualClock(NOON_EASTERN)
  const testApp = await buildMessagingApp(t, { clock })
  const company = await createCompany(testApp.app)
  const send = (payload: unknown, url = '/v1/text/send', headers = company.auth) =>
    testApp.app.inject({ method: 'POST', url, headers, payload: payload as object })
  return { ...testApp, clock, company, companyId: companyNumber(company), db: testApp.deps.db, send }
}

const countMessages = async (db: Awaited<ReturnType<typeof setup>>['db']) =>
  (
    await db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
  ).n

test('POST /v1/text/send answers the normalised request with a message id, queues it, and the sandbox gets it', async (t) => {
  const { app, company, db, send, startDispatcher } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const response = await send({
    to: PHONE,
    subscriptionType: 'MARKETING',
    body: 'Hi from Acme',
    messageName: 'Spring sale',
  })
  assert.equal(response.statusCode, 200, response.body)
  const body = response.json<{ messageId: string }>()
  const id = decodeObjectId('Message', body.messageId) as number
  assert.deepEqual(body, {
    messageId: body.messageId,
    to: PHONE,
    subscriptionType: 'MARKETING',
    body: 'Hi from Acme',
    skipFatigue: true,
    messageName: 'Spring sale',
  })
  const row = await messageRow(db, id)
  assert.deepEqual(
    [row.state, row.body, row.name, row.skip_fatigue, row.origin, row.kind],
    ['queued', 'Hi from Acme', 'Spring sale', true, 'api', 'ONE_TIME'],
  )

  startDispatcher()
  await waitFor(async () => (await messageRow(db, id)).state === 'delivered')
  const read = await app.inject({
    method: 'GET',
    url: `/v1/messages/${body.messageId}`,
    headers: company.auth,
  })
  assert.equal(read.statusCode, 200, read.body)
  const message = read.json<{
    state: string
    history: Array<{ state: string }>
    segments: number
    encoding: string
  }>()
  assert.deepEqual(
    message.history.map((h) => h.state),
    ['queued', 'sending', 'sent', 'delivered'],
  )
  assert.deepEqual([message.state, message.segments, message.encoding], ['delivered', 1, 'GSM-7'])

  const sandbox = await app.inject({
    method: 'GET',
    url: `/v1/sandbox/messages?to=%2B17707651750`,
    headers: company.auth,
  })
  assert.equal(sandbox.statusCode, 200, sandbox.body)
  const [listed] = sandbox.json<{ messages: Array<Record<string, unknown>> }>().messages
  assert.deepEqual(
    [listed?.id, listed?.to, listed?.body, listed?.state, listed?.segments],
    [body.messageId, PHONE, 'Hi from Acme', 'delivered', 1],
  )
})

test('subscriberExternalId sends to the profile’s phone; an unknown one is a 400 naming the field', async (t) => {
  const { app, company, companyId, db, send } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const userId = (await findUserId(db, companyId, { phone: PHONE })) as number
  const ok = await send({ subscriberExternalId: userId, subscriptionType: 'MARKETING', body: 'Hi' })
  assert.equal(ok.statusCode, 200, ok.body)
  assert.equal(ok.json<{ to: string }>().to, PHONE)
  const unknown = await send({
    subscriberExternalId: userId + 1000,
    subscriptionType: 'MARKETING',
    body: 'Hi',
  })
  assert.equal(unknown.statusCode, 400)
  assert.equal(unknown.json<{ error: { field: string } }>().error.field, 'subscriberExternalId')
})

const badSends: Array<[what: string, payload: Record<string, unknown>, code: string, field: string]> = [
  [
    'an invalid number',
    { to: '555-555-5555', subscriptionType: 'MARKETING', body: 'Hi' },
    'invalid_phone',
    'to',
  ],
  [
    'both to and subscriberExternalId',
    { to: PHONE, subscriberExternalId: 5, subscriptionType: 'MARKETING', body: 'Hi' },
    'validation_failed',
    'to',
  ],
  [
    'neither to nor subscriberExternalId',
    { subscriptionType: 'MARKETING', body: 'Hi' },
    'validation_failed',
    'to',
  ],
  [
    'a country not enabled',
    { to: '+33612345678', subscriptionType: 'MARKETING', body: 'Bonjour' },
    'country_not_enabled',
    'to',
  ],
  [
    'braces in the body',
    { to: PHONE, subscriptionType: 'MARKETING', body: 'Hi {{ name }}' },
    'invalid_body',
    'body',
  ],
  [
    'useShortLinks without messageName',
    { to: PHONE, subscriptionType: 'MARKETING', body: 'Hi', useShortLinks: true },
    'validation_failed',
    'messageName',
  ],
  [
    'a body over the segment limit',
    { to: PHONE, subscriptionType: 'MARKETING', body: 'a'.repeat(307) },
    'body_too_long',
    'body',
  ],
  [
    'a lower-case subscriptionType',
    { to: PHONE, subscriptionType: 'marketing', body: 'Hi' },
    'validation_failed',
    'subscriptionType',
  ],
  ['a missing body', { to: PHONE, subscriptionType: 'MARKETING' }, 'validation_failed', 'body'],
  [
    'an empty mediaUrl',
    { to: PHONE, subscriptionType: 'MARKETING', body: 'Hi', mediaUrl: '' },
    'validation_failed',
    'mediaUrl',
  ],
  [
    'a private mediaUrl',
    { to: PHONE, subscriptionType: 'MARKETING', body: 'Hi', mediaUrl: 'http://127.0.0.1/a.png' },
    'invalid_media',
    'mediaUrl',
  ],
]
test('bad sends get a 400 naming the field, and nothing is queued', async (t) => {
  const { app, company, companyId, db, send } = await setup(t)
  // Before the key's first request: the key cache keeps the company's settings.
  await setCompanySettings(db, companyId, { maxSegments: 2 })
  await subscribePhone(app, company, PHONE)
  for (const [what, payload, code, field] of badSends) {
    const response = await send(payload)
    assert.equal(response.statusCode, 400, `${what}: ${response.body}`)
    const { error } = response.json<{ error: { code: string; field: string; message: string } }>()
    assert.deepEqual([error.code, error.field], [code, field], `${what}: ${error.message}`)
    assert.ok(error.message.startsWith(`${field}`), `${what}: the message names the field: ${error.message}`)
  }
  assert.equal(await countMessages(db), 0)
})

test('without consent the send is a 400 no_consent; forceSend is recorded as a suppressed message, never sent', async (t) => {
  const { app, company, db, send, startDispatcher } = await setup(t)
  const unknown = await send({ to: PHONE, subscriptionType: 'MARKETING', body: 'Hi' })
  assert.equal(unknown.statusCode, 400)
  assert.equal(unknown.json<{ error: { code: string } }>().error.code, 'no_consent')
  assert.equal(await countMessages(db), 0)

  await subscribePhone(app, company, PHONE)
  await app.inject({
    method: 'POST',
    url: '/v1/subscriptions/unsubscribe',
    headers: company.auth,
    payload: { user: { phone: PHONE } },
  })
  const forced = await send({
    to: PHONE,
    subscriptionType: 'TRANSACTIONAL',
    body: 'Hi',
    forceSend: true,
    addSubscriber: true,
  })
  assert.equal(forced.statusCode, 400, forced.body)
  assert.equal(forced.json<{ error: { code: string } }>().error.code, 'no_consent')
  const [row] = await db.selectFrom('messages').selectAll().execute()
  assert.deepEqual([row?.state, row?.suppressed_reason, row?.due_at], ['suppressed', 'no_consent', null])
  const dispatcher = startDispatcher()
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(await dispatcher.sandbox.submissionCount(row?.id as number), 0)
})

test('addSubscriber on a transactional send creates the transactional consent of a number with no record', async (t) => {
  const { db, companyId, send } = await setup(t)
  const response = await send({
    to: PHONE,
    subscriptionType: 'TRANSACTIONAL',
    body: 'Your code is 1234',
    addSubscriber: true,
  })
  assert.equal(response.statusCode, 200, response.body)
  const userId = (await findUserId(db, companyId, { phone: PHONE })) as number
  const consent = await db
    .selectFrom('consents')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  assert.deepEqual([consent.type, consent.state, consent.address], ['TRANSACTIONAL', 'SUBSCRIBED', PHONE])
  const marketing = await send({
    to: PHONE,
    subscriptionType: 'MARKETING',
    body: 'Sale!',
    addSubscriber: true,
  })
  assert.equal(marketing.statusCode, 400, 'addSubscriber never creates marketing consent')
})

test('send-bulk queues the good items and lists each bad one with its reason', async (t) => {
  const { app, company, db, send } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const items = [
    { to: PHONE, subscriptionType: 'MARKETING', body: 'One' },
    { to: '+17707651799', subscriptionType: 'MARKETING', body: 'No consent' },
    { to: PHONE, subscriptionType: 'MARKETING', body: 'Braces {x}' },
    { to: PHONE, body: 'No type' },
    { to: PHONE, subscriptionType: 'MARKETING', body: 'Two' },
  ]
  const response = await send(items, '/v1/text/send-bulk')
  assert.equal(response.statusCode, 200, response.body)
  const body = response.json<{
    messages: Array<{ to: string }>
    failures: Array<{ originalRequest: unknown; reason: string }>
  }>()
  assert.equal(body.messages.length, 2)
  assert.deepEqual(
    body.failures.map((f) => f.originalRequest),
    [items[1], items[2], items[3]],
  )
  assert.match(body.failures[0]?.reason ?? '', /^\[1\]\.to: .*not agreed/)
  assert.match(body.failures[1]?.reason ?? '', /^\[2\]\.body: must not contain/)
  assert.equal(body.failures[2]?.reason, '[3].subscriptionType: is required')
  assert.equal(await countMessages(db), 2)
  const tooMany = await send(
    Array.from({ length: 1001 }, () => items[0]),
    '/v1/text/send-bulk',
  )
  assert.equal(tooMany.statusCode, 400)
})

test('links are shortened when useShortLinks is set, and segments are counted on the text as sent', async (t) => {
  const { app, company, db, send } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const response = await send({
    to: PHONE,
    subscriptionType: 'MARKETING',
    body: 'Sale: https://acme.example/spring?utm=sms. Hurry!',
    useShortLinks: true,
    messageName: 'Spring',
  })
  assert.equal(response.statusCode, 200, response.body)
  const id = decodeObjectId('Message', response.json<{ messageId: string }>().messageId) as number
  const row = await messageRow(db, id)
  assert.match(row.body, /^Sale: http:\/\/attune\.test\/s\/[0-9A-Za-z]{10}\. Hurry!$/)
  const link = await db
    .selectFrom('short_links')
    .selectAll()
    .where('message_id', '=', id)
    .executeTakeFirstOrThrow()
  assert.equal(link.url, 'https://acme.example/spring?utm=sms')
})

test('the message endpoints need the messages scopes and never show another company’s messages', async (t) => {
  const { app, company, db, send } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const sent = await send({ to: PHONE, subscriptionType: 'MARKETING', body: 'Secret offer 4471' })
  const messageId = sent.json<{ messageId: string }>().messageId
  const readOnly = await createKey(app, company, ['messages:read'])
  const refused = await send(
    { to: PHONE, subscriptionType: 'MARKETING', body: 'x' },
    '/v1/text/send',
    readOnly,
  )
  assert.equal(refused.statusCode, 403)
  const other = await createCompany(app, 'Other')
  await assertCrossCompanyDenied(
    app,
    other,
    [
      { method: 'GET', url: `/v1/messages/${messageId}` },
      { method: 'POST', url: '/v1/messages', payload: { to: PHONE, body: 'x' } },
    ],
    ['Secret offer 4471', messageId],
  )
  // Lists are the caller's own; sends to the other company's subscriber find no consent in the caller's company.
  const listed = await app.inject({
    method: 'GET',
    url: '/v1/sandbox/messages?to=%2B17707651750',
    headers: other.auth,
  })
  assert.deepEqual(listed.json(), { messages: [] })
  for (const url of ['/v1/text/send', '/v1/subscriptions/messages']) {
    const response = await send({ to: PHONE, subscriptionType: 'MARKETING', body: 'x' }, url, other.auth)
    assert.equal(response.statusCode, 400, response.body)
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'no_consent')
  }
  assert.equal(await countMessages(db), 1)
})
