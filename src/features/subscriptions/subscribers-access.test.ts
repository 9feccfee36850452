import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.ts'
import { assertCrossCompanyDenied, createCompany, createKey } from '../../../test/helpers/company.ts'
import { call, createSource } from '../../../test/helpers/subscribers.ts'

const PHONE = '+17707651750'
const EMAIL = 'victim@example.com'

test('a key of company A never reads or changes company B’s subscribers, sources, attributes or evidence', async (t) => {
  const { app, database } = await buildTestApp(t)
  const b = await createCompany(app, 'B')
  const a = await createCompany(app, 'A')
  const source = await createSource(app, b, { id: 'b-source', name: 'B secret form' })
  await call(app, b, 'POST', '/v1/subscriptions', {
    user: { phone: PHONE, email: EMAIL },
    signUpSourceId: source,
  })
  await call(app, b, 'POST', '/v1/attributes/custom', {
    properties: { tier: 'gold-b' },
    user: { email: EMAIL },
  })
  const profile = await call(app, b, 'GET', `/v1/users?email=${EMAIL}`)
  const userId = (profile.body.users as Array<{ id: string }>)[0]?.id ?? ''
  assert.ok(userId)

  // National formats in the probes: the answers echo what A sent, never what B stored (E.164, ids, names).
  await assertCrossCompanyDenied(
    app,
    a,
    [
      { method: 'GET', url: `/v1/subscriptions?phone=%2B17707651750&email=${EMAIL}` },
      { method: 'GET', url: '/v1/attributes/custom?email=victim@example.com' },
      { method: 'GET', url: '/v1/attributes/custom?phone=7707651750' },
      { method: 'GET', url: `/v1/users?phone=7707651750` },
      { method: 'GET', url: `/v1/users?email=${EMAIL}` },
      { method: 'GET', url: `/v1/users/${userId}` },
      { method: 'GET', url: `/v1/users/${userId}/consent-evidence` },
      { method: 'GET', url: '/v1/sign-up-sources' },
      { method: 'GET', url: `/v1/sign-up-sources/${source}` },
      { method: 'PATCH', url: `/v1/sign-up-sources/${source}`, payload: { name: 'taken over' } },
      {
        method: 'POST',
        url: '/v1/attributes/custom',
        payload: { properties: { tier: 'bronze' }, user: { email: EMAIL } },
      },
      {
        method: 'POST',
        url: '/v1/identity-resolution/user-identifiers',
        payload: { phone: '7707651750', clientUserId: 'a-1' },
      },
    ],
    ['+17707651750', 'B secret form', 'gold-b', userId],
  )
  // Writes naming B's people or source from A: refused, or kept within A.
  const subscribe = await call(app, a, 'POST', '/v1/subscriptions', {
    user: { phone: '7707651750' },
    signUpSourceId: source,
  })
  assert.equal(subscribe.status, 400)
  assert.equal((subscribe.body.error as { code: string }).code, 'unknown_sign_up_source')
  const unsubscribe = await call(app, a, 'POST', '/v1/subscriptions/unsubscribe', {
    user: { phone: '7707651750', email: EMAIL },
  })
  assert.deepEqual(unsubscribe.body, {
    user: { phone: '7707651750', email: EMAIL },
    subscriptionResponses: [],
  })
  const deleted = await app.inject({
    method: 'DELETE',
    url: `/v1/subscriptions?email=${EMAIL}`,
    headers: a.auth,
  })
  assert.equal(deleted.json<{ subscriptionResponses: unknown[] }>().subscriptionResponses.length, 0)

  // B is untouched: still subscribed, its attribute and source as they were, no merge.
  const eligible = await call(app, b, 'GET', `/v1/subscriptions?phone=%2B17707651750&email=${EMAIL}`)
  assert.ok(
    (eligible.body.subscriptionEligibilities as Array<{ eligibility: { isEligible: boolean } }>).every(
      (e) => e.eligibility.isEligible,
    ),
  )
  assert.deepEqual((await call(app, b, 'GET', `/v1/attributes/custom?email=${EMAIL}`)).body, [
    { name: 'tier', value: 'gold-b' },
  ])
  assert.equal((await call(app, b, 'GET', `/v1/sign-up-sources/${source}`)).body.name, 'B secret form')
  assert.equal((await database.db.selectFrom('user_merges').select('id').execute()).length, 0)
})

test('each endpoint asks for its scope: read keys cannot write, and subscriptions keys cannot set attributes', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const reader = await createKey(app, company, ['subscriptions:read', 'attributes:read'])
  const subscriber = await createKey(app, company, ['subscriptions:write'])
  const probes: Array<
    [headers: { authorization: string }, method: 'GET' | 'POST', url: string, status: number]
  > = [
    [reader, 'POST', '/v1/subscriptions', 403],
    [reader, 'POST', '/v1/subscriptions/unsubscribe', 403],
    [reader, 'POST', '/v1/sign-up-sources', 403],
    [reader, 'POST', '/v1/attributes/custom', 403],
    [reader, 'POST', '/v1/identity-resolution/user-identifiers', 403],
    [reader, 'GET', '/v1/subscriptions?email=a@example.com', 200],
    [reader, 'GET', '/v1/attributes/custom?email=a@example.com', 200],
    [reader, 'GET', '/v1/users?email=a@example.com', 200],
    [subscriber, 'POST', '/v1/attributes/custom', 403],
    [subscriber, 'POST', '/v1/identity-resolution/user-identifiers', 403],
    [subscriber, 'GET', '/v1/attributes/custom?email=a@example.com', 403],
  ]
  for (const [headers, method, url, status] of probes) {
    const response = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) })
    assert.equal(response.statusCode, status, `${method} ${url}: ${response.body}`)
  }
})

test('subscribe allows 10 requests per second and unsubscribe 5; a refused call stores nothing', async (t) => {
  const clock = new ManualClock()
  const { app, database } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const source = await createSource(app, company)
  const phones = Array.from({ length: 11 }, (_, i) => `+1770765${String(1700 + i)}`)
  const statuses: number[] = []
  for (const phone of phones) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: company.auth,
      payload: { user: { phone }, signUpSourceId: source },
    })
    statuses.push(response.statusCode)
    if (response.statusCode === 429) {
      assert.equal(response.headers['retry-after'], '1')
      assert.equal(response.json<{ error: { code: string } }>().error.code, 'rate_limited')
    }
  }
  assert.deepEqual(statuses, [...Array<number>(10).fill(202), 429])
  const stored = await database.db.selectFrom('user_identifiers').select('value').execute()
  assert.equal(stored.length, 10)
  assert.ok(!stored.some((row) => row.value === phones[10]), 'the refused phone was not stored')

  const unsubscribes: number[] = []
  for (const phone of phones.slice(0, 6)) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions/unsubscribe',
      headers: company.auth,
      payload: { user: { phone } },
    })
    unsubscribes.push(response.statusCode)
  }
  assert.deepEqual(unsubscribes, [202, 202, 202, 202, 202, 429])
  const out = await database.db
    .selectFrom('consents')
    .select('state')
    .where('state', '=', 'UNSUBSCRIBED')
    .execute()
  assert.equal(out.length, 5, 'the refused unsubscribe changed nothing')

  clock.advance(1000)
  const again = await call(app, company, 'POST', '/v1/subscriptions/unsubscribe', {
    user: { phone: phones[5] },
  })
  assert.equal(again.status, 202, 'a second later the bucket has refilled')
})
