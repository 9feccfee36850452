import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { ManualClock } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { subscribePhone, buildMessagingApp } from './messages.fixtures.ts'

const NOON_EASTERN = '2026-03-04T17:00:00Z'
const SEED_002_BODY = '30% off sitewide sale going on now. Use code SAVE30.'

async function setup(t: TestContext) {
  const testApp = await buildMessagingApp(t, {
    clock: new ManualClock(NOON_EASTERN),
    env: { ATTUNE_MEDIA_ALLOW_PRIVATE: 'true' },
  })
  const company = await createCompany(testApp.app, 'Acme')
  const post = (url: string, payload: unknown, headers: Record<string, string> = company.auth) =>
    testApp.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(payload),
    })
  const messages = () => testApp.deps.db.selectFrom('messages').selectAll().orderBy('id').execute()
  return { ...testApp, company, post, messages }
}

/** A local server answering /<name> with the given type and bytes, as an image host would. */
async function mediaServer(
  t: TestContext,
  files: Record<string, { type: string; bytes: Buffer }>,
): Promise<string> {
  const server = http.createServer((request, response) => {
    const file = files[request.url?.slice(1) ?? '']
    if (!file) return response.writeHead(404).end()
    response
      .writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length })
      .end(file.bytes)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])
const GIF = Buffer.from('GIF89a....')

test('seed 004: POST /v1/subscriptions/messages after the Annex Cloud subscribe answers the guide’s body, byte for byte', async (t) => {
  const { app, company, post, messages } = await setup(t)
  const source = await post('/v1/sign-up-sources', {
    id: '132109',
    name: 'Annex Cloud loyalty',
    channels: ['TEXT', 'EMAIL'],
    type: 'MARKETING',
    disclosure:
      'By joining you agree to receive recurring automated marketing texts. Consent is not a condition of purchase.',
    doubleOptIn: false,
  })
  assert.equal(source.statusCode, 201, source.body)
  const subscribed = await post('/v1/subscriptions', {
    user: { phone: '7707651750', email: 'test@gmail.com' },
    signUpSourceId: '132109',
  })
  assert.equal(subscribed.statusCode, 202, subscribed.body)

  const response = await post('/v1/subscriptions/messages', {
    to: '7707651750',
    body: 'Hello check the test message please7',
  })
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(
    response.body,
    '{"type":"v1","to":"+17707651750","body":"Hello check the test message please7","skipFatigue":true,"createShortLink":false,"addSubscriber":"true"}',
  )
  const [message] = await messages()
  assert.deepEqual(
    [message?.to_address, message?.body, message?.type, message?.skip_fatigue, message?.state],
    ['+17707651750', 'Acme: Hello check the test message please7', 'MARKETING', true, 'queued'],
  )
  const echoed = await post('/v1/subscriptions/messages', {
    to: '7707651750',
    body: 'Again',
    skipFatigue: false,
    createShortLink: true,
    addSubscriber: 'false',
  })
  assert.equal(
    echoed.body,
    '{"type":"v1","to":"+17707651750","body":"Again","skipFatigue":false,"createShortLink":true,"addSubscriber":"false"}',
  )
  assert.ok(app && company)
})

test('seed 002: POST /v1/messages echoes the request, prepends the company name, and a retried messageId gives one message', async (t) => {
  const { app, company, post, messages } = await setup(t)
  await subscribePhone(app, company, '+17707651750')
  const request = { to: '770-765-1750', body: SEED_002_BODY, messageId: '123456789' }
  const first = await post('/v1/messages', request)
  assert.equal(first.statusCode, 200, first.body)
  assert.equal(first.body, JSON.stringify(request))
  const retried = await post('/v1/messages', request)
  assert.equal(retried.statusCode, 200, retried.body)
  assert.equal(retried.body, JSON.stringify(request))
  const stored = await messages()
  assert.equal(stored.length, 1, 'the retry queued nothing new')
  assert.deepEqual(
    [stored[0]?.body, stored[0]?.client_message_id, stored[0]?.type, stored[0]?.to_address],
    [`Acme: ${SEED_002_BODY}`, '123456789', 'MARKETING', '+17707651750'],
  )

  const reused = await post('/v1/messages', { ...request, body: 'Something else' })
  assert.equal(reused.statusCode, 422, reused.body)
  assert.deepEqual(
    [
      reused.json<{ error: { code: string; field: string } }>().error.code,
      reused.json<{ error: { field: string } }>().error.field,
    ],
    ['message_id_reused', 'messageId'],
  )
  const transactional = await post('/v1/messages', {
    to: '+17707651750',
    body: 'Your order shipped',
    type: 'TRANSACTIONAL',
  })
  assert.equal(transactional.statusCode, 400, 'no transactional consent')
  assert.equal((await messages()).length, 1)
})

const badLegacy: Array<
  [what: string, payload: Record<string, unknown>, status: number, code: string, field: string]
> = [
  [
    "the seed's own placeholder number",
    { to: '555-555-5555', body: SEED_002_BODY },
    400,
    'invalid_phone',
    'to',
  ],
  ['a number no subscriber has', { to: '+17707651799', body: 'Hi' }, 404, 'unmatched_phone', 'to'],
  [
    'a lower-case type',
    { to: '+17707651750', body: 'Hi', type: 'transactional' },
    400,
    'validation_failed',
    'type',
  ],
  ['a missing body', { to: '+17707651750' }, 400, 'validation_failed', 'body'],
  ['a missing to', { body: 'Hi' }, 400, 'validation_failed', 'to'],
  [
    'an unknown Liquid filter',
    { to: '+17707651750', body: 'Hi {{ profile.firstName | shout }}' },
    400,
    'invalid_template',
    'body',
  ],
  [
    'an unclosed Liquid tag',
    { to: '+17707651750', body: 'Hi {% if profile.vip %}VIP' },
    400,
    'invalid_template',
    'body',
  ],
  [
    'a UK number in a company that texts only the US',
    { to: '+447911123456', body: 'Hi' },
    400,
    'country_not_enabled',
    'to',
  ],
]
test('bad legacy sends get a 4xx naming the field, and nothing is queued', async (t) => {
  const { app, company, post, messages, deps } = await setup(t)
  await deps.db
    .updateTable('companies')
    .set({ settings: JSON.stringify({ smsCountries: ['US'] }) })
    .execute()
  await subscribePhone(app, company, '+17707651750')
  for (const [what, payload, status, code, field] of badLegacy) {
    const response = await post('/v1/messages', payload)
    assert.equal(response.statusCode, status, `${what}: ${response.body}`)
    const { error } = response.json<{ error: { code: string; field: string; message: string } }>()
    assert.deepEqual([error.code, error.field], [code, field], `${what}: ${error.message}`)
  }
  const forbidden = await post(
    '/v1/messages',
    { to: '+17707651750', body: 'Hi' },
    { authorization: 'Bearer not-a-key' },
  )
  assert.equal(forbidden.statusCode, 403, 'a bad legacy token is a 403 (seed 002)')
  const missing = await post('/v1/subscriptions/messages', { to: '+17707651750', body: 'Hi' }, {})
  assert.equal(missing.statusCode, 403)
  assert.equal((await messages()).length, 0)
})

test('legacy bodies are Liquid over the profile, rendered when the send is accepted', async (t) => {
  const { app, company, post, messages } = await setup(t)
  await subscribePhone(app, company, '+17707651750')
  const attributes = await app.inject({
    method: 'POST',
    url: '/v1/attributes/custom',
    headers: company.auth,
    payload: { user: { phone: '+17707651750' }, properties: { firstName: 'Ada' } },
  })
  assert.equal(attributes.statusCode, 200, attributes.body)
  const response = await post('/v1/messages', {
    to: '+17707651750',
    body: "Hi {{ profile.firstName | default: 'there' }}, {{ company.name | upcase }} misses you{{ profile.nothing }}",
  })
  assert.equal(response.statusCode, 200, response.body)
  const [message] = await messages()
  assert.equal(message?.body, 'Acme: Hi Ada, ACME misses you')
  const other = await post('/v1/subscriptions/messages', {
    to: '+17707651751',
    body: "Hi {{ profile.firstName | default: 'there' }}",
  })
  assert.equal(other.statusCode, 400, 'no consent for this number')
})

test('MMS media must be a gif, png or jpg under 500 KB whose bytes match its type', async (t) => {
  const { app, company, post, messages } = await setup(t)
  await subscribePhone(app, company, '+17707651750')
  const host = await mediaServer(t, {
    'ok.png': { type: 'image/png', bytes: PNG },
    'ok.gif': { type: 'image/gif', bytes: GIF },
    'big.png': { type: 'image/png', bytes: Buffer.concat([PNG, Buffer.alloc(500_001)]) },
    'page.html': { type: 'text/html', bytes: Buffer.from('<html></html>') },
    'fake.png': { type: 'image/png', bytes: Buffer.from('not really a png') },
  })
  const send = (mediaUrl: string) => post('/v1/messages', { to: '+17707651750', body: 'Look', mediaUrl })
  for (const name of ['ok.png', 'ok.gif']) assert.equal((await send(`${host}/${name}`)).statusCode, 200, name)
  for (const [name, why] of [
    ['big.png', /larger than 500 KB/],
    ['page.html', /not a gif, png or jpg/],
    ['fake.png', /does not match/],
    ['missing.png', /HTTP 404/],
  ] as const) {
    const response = await send(`${host}/${name}`)
    assert.equal(response.statusCode, 400, name)
    const { error } = response.json<{ error: { code: string; field: string; message: string } }>()
    assert.deepEqual([error.code, error.field], ['invalid_media', 'mediaUrl'])
    assert.match(error.message, why)
  }
  const stored = await messages()
  assert.deepEqual(
    stored.map((m) => m.media_url),
    [`${host}/ok.png`, `${host}/ok.gif`],
  )
})
