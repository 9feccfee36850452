import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.ts'
import { assertCrossCompanyDenied, createCompany, createKey } from '../../../test/helpers/company.ts'
import { companyNumber, createWebhook, recordEvents } from '../../../test/helpers/webhooks.ts'
import { decodeObjectId } from '../../http/object-id.ts'

const HTTP_ALLOWED = { ATTUNE_ALLOW_HTTP_WEBHOOKS: 'true' }

test('a webhook is created, listed, changed, paused, resumed and deleted with Attentive’s statuses and bodies', async (t) => {
  const clock = new ManualClock('2026-03-01T12:34:56.789Z')
  const { app, deps } = await buildTestApp(t, { clock })
  const company = await createCompany(app)

  const created = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: company.auth,
    payload: { url: 'https://hooks.example/attentive', events: ['sms.subscribed', 'sms.sent'], extra: 'ignored' },
  })
  assert.equal(created.statusCode, 201, created.body)
  const body = created.json<{ id: string; url: string; events: string[]; type: string; secret: string }>()
  assert.deepEqual({ ...body, id: undefined, secret: undefined }, {
    id: undefined,
    url: 'https://hooks.example/attentive',
    events: ['sms.subscribed', 'sms.sent'],
    type: 'INSTALLED',
    secret: undefined,
  })
  assert.match(body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  const numericId = decodeObjectId('CompanyApplicationWebhook', body.id)
  assert.ok(numericId, `${body.id} is a CompanyApplicationWebhook object id`)
  const stored = await deps.db.selectFrom('webhooks').selectAll().executeTakeFirstOrThrow()
  assert.equal(stored.secret, body.secret)
  assert.equal(stored.company_id, companyNumber(company))

  const listed = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: company.auth })
  assert.equal(listed.statusCode, 200)
  assert.deepEqual(listed.json(), {
    webhooks: [{ id: body.id, url: 'https://hooks.example/attentive', type: 'SUBSCRIPTION', events: ['sms.subscribed', 'sms.sent'], companyId: company.id }],
  })
  assert.ok(!listed.body.includes(body.secret), 'the list never shows the secret')

  const moved = await app.inject({ method: 'PUT', url: `/v1/webhooks/${body.id}`, headers: company.auth, payload: { url: 'https://hooks.example/v2' } })
  assert.equal(moved.statusCode, 200, moved.body)
  assert.deepEqual(moved.json(), { id: body.id, url: 'https://hooks.example/v2', events: ['sms.subscribed', 'sms.sent'], type: 'INSTALLED' })

  const paused = await app.inject({ method: 'PUT', url: `/v1/webhooks/${body.id}`, headers: company.auth, payload: { disabled: true } })
  assert.equal(paused.statusCode, 200)
  assert.equal(paused.json<{ disabledAt: string }>().disabledAt, '2026-03-01 12:34:56')

  const resumed = await app.inject({ method: 'PUT', url: `/v1/webhooks/${body.id}`, headers: company.auth, payload: { disabled: false, events: ['email.opened'] } })
  assert.equal(resumed.statusCode, 200)
  assert.deepEqual(resumed.json(), { id: body.id, url: 'https://hooks.example/v2', events: ['email.opened'], type: 'INSTALLED' })

  const deleted = await app.inject({ method: 'DELETE', url: `/v1/webhooks/${body.id}`, headers: company.auth })
  assert.equal(deleted.statusCode, 204)
  assert.equal(deleted.body, '')
  const again = await app.inject({ method: 'DELETE', url: `/v1/webhooks/${body.id}`, headers: company.auth })
  assert.equal(again.statusCode, 404)
  assert.equal(again.json<{ error: { code: string } }>().error.code, 'unknown_webhook')
  assert.equal((await deps.db.selectFrom('webhooks').select('id').execute()).length, 0)
})

const badBodies: Array<[name: string, payload: object, field: string, code: string]> = [
  ['an http URL', { url: 'http://hooks.example/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['a relative URL', { url: '/webhooks', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['an ftp URL', { url: 'ftp://hooks.example/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['a loopback target', { url: 'https://127.0.0.1/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['a private target', { url: 'https://10.1.2.3/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['a link-local target', { url: 'https://169.254.169.254/latest', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['an IPv6 loopback target', { url: 'https://[::1]:8443/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['an IPv4-mapped private target', { url: 'https://[::ffff:192.168.1.1]/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['localhost', { url: 'https://localhost:3000/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['a host that does not resolve', { url: 'https://no-such-host.invalid/x', events: ['sms.sent'] }, 'url', 'invalid_webhook_url'],
  ['an unknown event', { url: 'https://hooks.example/x', events: ['sms.sent', 'sms.sned'] }, 'events[1]', 'unknown_event_type'],
  ['an event in the wrong case', { url: 'https://hooks.example/x', events: ['SMS.SENT'] }, 'events[0]', 'unknown_event_type'],
  ['no events', { url: 'https://hooks.example/x', events: [] }, 'events', 'validation_failed'],
  ['a repeated event', { url: 'https://hooks.example/x', events: ['sms.sent', 'sms.sent'] }, 'events[1]', 'duplicate_event_type'],
  ['an event and its alias', { url: 'https://hooks.example/x', events: ['sms.subscribed', 'phone.subscribed'] }, 'events[1]', 'duplicate_event_type'],
  ['no url', { events: ['sms.sent'] }, 'url', 'validation_failed'],
  ['events not a list', { url: 'https://hooks.example/x', events: 'sms.sent' }, 'events', 'validation_failed'],
]

test('bad webhook bodies get a 400 naming the field and the expected form, and store nothing', async (t) => {
  const { app, deps } = await buildTestApp(t, { env: { ATTUNE_WEBHOOK_ALLOW_PRIVATE: 'false' } })
  const company = await createCompany(app)
  for (const [name, payload, field, code] of badBodies) {
    const response = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: company.auth, payload })
    assert.equal(response.statusCode, 400, `${name}: ${response.body}`)
    const error = response.json<{ error: { code: string; field: string; message: string } }>().error
    assert.equal(error.code, code, name)
    assert.equal(error.field, field, name)
    assert.match(error.message, new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: .*(expected|must|is required|list)`), name)
  }
  assert.equal((await deps.db.selectFrom('webhooks').select('id').execute()).length, 0)

  // A public address literal needs no DNS; nothing is sent in this test.
  const good = await createWebhook({ app }, company, 'https://8.8.8.8/x', ['sms.sent'])
  for (const [name, payload, field] of badBodies.filter(([, p]) => 'url' in p && 'events' in p)) {
    const response = await app.inject({ method: 'PUT', url: `/v1/webhooks/${good.id}`, headers: company.auth, payload })
    assert.equal(response.statusCode, 400, `PUT ${name}: ${response.body}`)
    assert.equal(response.json<{ error: { field: string } }>().error.field, field)
  }
  const unchanged = await deps.db.selectFrom('webhooks').select(['url', 'events']).executeTakeFirstOrThrow()
  assert.deepEqual(unchanged, { url: 'https://8.8.8.8/x', events: ['sms.sent'] })
})

test('http URLs are accepted only when the operator sets ATTUNE_ALLOW_HTTP_WEBHOOKS', async (t) => {
  const { app } = await buildTestApp(t, { env: HTTP_ALLOWED })
  const company = await createCompany(app)
  const webhook = await createWebhook({ app }, company, 'http://127.0.0.1:9/hook', ['sms.sent'])
  assert.ok(webhook.id)
})

test('webhooks belong to the API key that made them; webhooks:read lists but cannot write', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const webhook = await createWebhook({ app }, company, 'https://hooks.example/mine', ['sms.sent'])
  const otherApp = await createKey(app, company, ['webhooks:all'])
  const reader = await createKey(app, company, ['webhooks:read'])

  const othersList = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: otherApp })
  assert.deepEqual(othersList.json(), { webhooks: [] })
  for (const method of ['PUT', 'DELETE'] as const) {
    const response = await app.inject({ method, url: `/v1/webhooks/${webhook.id}`, headers: otherApp, ...(method === 'PUT' ? { payload: { disabled: true } } : {}) })
    assert.equal(response.statusCode, 404, `${method} by another app`)
  }
  const readerList = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: reader })
  assert.equal(readerList.statusCode, 200)
  const readerCreate = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: reader, payload: { url: 'https://hooks.example/r', events: ['sms.sent'] } })
  assert.equal(readerCreate.statusCode, 403)
  assert.equal(readerCreate.json<{ error: { code: string } }>().error.code, 'missing_scope')
})

test('rotating the secret returns a new one and keeps the old one signing for the overlap', async (t) => {
  const clock = new ManualClock('2026-03-01T00:00:00Z')
  const { app, deps } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const webhook = await createWebhook({ app }, company, 'https://hooks.example/x', ['sms.sent'])

  const rotated = await app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/secret/rotate`, headers: company.auth })
  assert.equal(rotated.statusCode, 200, rotated.body)
  const body = rotated.json<{ id: string; secret: string; previousSecretExpiresAt: string }>()
  assert.equal(body.id, webhook.id)
  assert.notEqual(body.secret, webhook.secret)
  assert.equal(body.previousSecretExpiresAt, '2026-03-02T00:00:00.000Z')
  const stored = await deps.db.selectFrom('webhooks').select(['secret', 'previous_secret']).executeTakeFirstOrThrow()
  assert.deepEqual(stored, { secret: body.secret, previous_secret: webhook.secret })

  const now = await app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/secret/rotate`, headers: company.auth, payload: { overlapSeconds: 0 } })
  assert.equal(now.json<{ previousSecretExpiresAt: null }>().previousSecretExpiresAt, null)
  const bad = await app.inject({ method: 'POST', url: `/v1/webhooks/${webhook.id}/secret/rotate`, headers: company.auth, payload: { overlapSeconds: -1 } })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json<{ error: { field: string } }>().error.field, 'overlapSeconds')
})

test('the delivery log and replays refuse bad parameters with a 400 naming them', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const webhook = await createWebhook({ app }, company, 'https://hooks.example/x', ['sms.sent'])
  const cases: Array<[url: string, method: 'GET' | 'POST', payload: object | undefined, field: string]> = [
    [`/v1/webhooks/${webhook.id}/deliveries?status=done`, 'GET', undefined, 'status'],
    [`/v1/webhooks/${webhook.id}/deliveries?limit=0`, 'GET', undefined, 'limit'],
    [`/v1/webhooks/${webhook.id}/deliveries?since=yesterday`, 'GET', undefined, 'since'],
    [`/v1/webhooks/${webhook.id}/replay`, 'POST', { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'to'],
    [`/v1/webhooks/${webhook.id}/replay`, 'POST', { from: '2026-03-01', to: '2026-03-02T00:00:00Z' }, 'from'],
    [`/v1/webhooks/${webhook.id}/deliveries/not-a-uuid/replay`, 'POST', undefined, 'deliveryId'],
  ]
  for (const [url, method, payload, field] of cases) {
    const response = await app.inject({ method, url, headers: company.auth, ...(payload ? { payload } : {}) })
    assert.equal(response.statusCode, 400, `${method} ${url}: ${response.body}`)
    assert.equal(response.json<{ error: { field: string } }>().error.field, field, url)
  }
})

test('a key of company A gets 404 for every webhook endpoint of company B and never sees its data', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const a = await createCompany(app, 'A')
  const b = await createCompany(app, 'B')
  const secretUrl = 'https://b-only.example/secret-hook'
  const webhook = await createWebhook({ app }, b, secretUrl, ['custom_event'])
  await recordEvents({ deps }, [{ companyId: companyNumber(b), type: 'custom_event', occurredAt: new Date(), payload: {} }])
  const delivery = await deps.db.selectFrom('webhook_deliveries').select('message_id').executeTakeFirstOrThrow()
  const base = `/v1/webhooks/${webhook.id}`
  await assertCrossCompanyDenied(
    app,
    a,
    [
      { method: 'PUT', url: base, payload: { url: 'https://a.example/steal' } },
      { method: 'PUT', url: base, payload: { disabled: true } },
      { method: 'DELETE', url: base },
      { method: 'POST', url: `${base}/secret/rotate` },
      { method: 'GET', url: `${base}/deliveries` },
      { method: 'GET', url: `${base}/deliveries/${delivery.message_id}` },
      { method: 'POST', url: `${base}/deliveries/${delivery.message_id}/replay` },
      { method: 'POST', url: `${base}/replay`, payload: { from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' } },
      { method: 'GET', url: `${base}/notices` },
    ],
    [secretUrl, webhook.secret, delivery.message_id],
  )
  const listed = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: a.auth })
  assert.deepEqual(listed.json(), { webhooks: [] })
  const still = await deps.db.selectFrom('webhooks').select(['url', 'secret', 'disabled_at']).executeTakeFirstOrThrow()
  assert.deepEqual(still, { url: secretUrl, secret: webhook.secret, disabled_at: null })
})

test('malformed webhook requests get a 4xx, never a 5xx, and store nothing', async (t) => {
  const { app, deps } = await buildTestApp(t, { env: { ATTUNE_WEBHOOK_ALLOW_PRIVATE: 'false' } })
  const company = await createCompany(app)
  const webhook = await createWebhook({ app }, company, 'https://8.8.8.8/hook', ['sms.sent'])
  const id = webhook.id
  const cases: Array<[method: 'POST' | 'PUT' | 'GET', url: string, body: string | undefined]> = [
    ['POST', '/v1/webhooks', 'null'],
    ['POST', '/v1/webhooks', '[]'],
    ['POST', '/v1/webhooks', '"https://8.8.8.8/x"'],
    ['POST', '/v1/webhooks', '{"url":null,"events":["sms.sent"]}'],
    ['POST', '/v1/webhooks', '{"url":"https://8.8.8.8/x","events":[null]}'],
    ['POST', '/v1/webhooks', '{"url":"https://8.8.8.8/x","events":[["sms.sent"]]}'],
    ['POST', '/v1/webhooks', '{"url":"https://8.8.8.8/x","events":{"0":"sms.sent"}}'],
    ['POST', '/v1/webhooks', JSON.stringify({ url: 'https://8.8.8.8/x', events: Array(51).fill('sms.sent') })],
    ['POST', '/v1/webhooks', JSON.stringify({ url: `https://8.8.8.8/${'x'.repeat(2048)}`, events: ['sms.sent'] })],
    ['POST', '/v1/webhooks', '{"url":"https://exa mple.com/x","events":["sms.sent"]}'],
    ['POST', '/v1/webhooks', '{"url":"https://[::1/x","events":["sms.sent"]}'],
    ['POST', '/v1/webhooks', '{"url":"https://\\u0000.example/x","events":["sms.sent"]}'],
    ['POST', '/v1/webhooks', '{"url":"javascript:alert(1)","events":["sms.sent"]}'],
    ['POST', '/v1/webhooks', '{"url":"https://0x7f.1/x","events":["sms.sent"]}'],
    ['POST', '/v1/webhooks', '{"url":"https://2130706433/x","events":["sms.sent"]}'],
    ['POST', '/v1/webhooks', '{"url":"https://8.8.8.8/x","events":["__proto__"]}'],
    ['PUT', `/v1/webhooks/${id}`, '{"events":[]}'],
    ['PUT', `/v1/webhooks/${id}`, '{"disabled":"yes"}'],
    ['PUT', `/v1/webhooks/${id}`, '{"url":"http://8.8.8.8/x"}'],
    ['PUT', '/v1/webhooks/%F0%9F%98%80', '{"disabled":true}'],
    ['PUT', `/v1/webhooks/${'A'.repeat(65)}`, '{"disabled":true}'],
    ['POST', `/v1/webhooks/${id}/secret/rotate`, '{"overlapSeconds":1e308}'],
    ['POST', `/v1/webhooks/${id}/secret/rotate`, '{"overlapSeconds":"60"}'],
    ['POST', `/v1/webhooks/${id}/secret/rotate`, '{"extra":1}'],
    ['POST', `/v1/webhooks/${id}/replay`, '{"from":"2026-13-45T00:00:00Z","to":"2026-01-01T00:00:00Z"}'],
    ['POST', `/v1/webhooks/${id}/replay`, 'null'],
    ['POST', `/v1/webhooks/${id}/deliveries/00000000-0000-4000-8000-000000000000/replay`, undefined],
    ['GET', `/v1/webhooks/${id}/deliveries?cursor=-1`, undefined],
    ['GET', `/v1/webhooks/${id}/deliveries?limit=1001`, undefined],
    ['GET', `/v1/webhooks/${id}/deliveries?status[]=pending`, undefined],
    ['GET', `/v1/webhooks/${id}/deliveries/${'0'.repeat(36)}`, undefined],
  ]
  for (const [method, url, body] of cases) {
    const response = await app.inject({
      method,
      url,
      headers: { ...company.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { payload: body } : {}),
    })
    assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${method} ${url} ${body ?? ''}: ${response.statusCode} ${response.body}`)
    assert.ok(response.json<{ error: { message: string } }>().error.message.length > 0)
  }
  const stored = await deps.db.selectFrom('webhooks').select(['url', 'events', 'secret', 'disabled_at']).execute()
  assert.deepEqual(stored, [{ url: 'https://8.8.8.8/hook', events: ['sms.sent'], secret: webhook.secret, disabled_at: null }])
})
