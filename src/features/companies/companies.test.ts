import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, TEST_ADMIN_TOKEN } from '../../../test/helpers/build-test-app.ts'
import { assertCrossCompanyDenied, createCompany, createKey } from '../../../test/helpers/company.ts'
import { decodeObjectId } from '../../http/object-id.ts'

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }

test('creating a company answers 201 with its id, name, domain and a full-access key shown once', async (t) => {
  const { app, database } = await buildTestApp(t)
  const response = await app.inject({
    method: 'POST',
    url: '/admin/v1/companies',
    headers: admin,
    payload: { name: 'Hudson & Ivy', domain: 'hudsonivy.example' },
  })
  assert.equal(response.statusCode, 201)
  const body = response.json()
  assert.equal(body.company.name, 'Hudson & Ivy')
  assert.equal(body.company.domain, 'hudsonivy.example')
  assert.match(body.apiKey, /^[A-Za-z0-9_-]{43}$/)
  const id = decodeObjectId('Company', body.company.id)
  assert.ok(id)
  const stored = await database.db.selectFrom('api_keys').selectAll().where('company_id', '=', id).execute()
  assert.equal(stored.length, 1)
  assert.ok(!JSON.stringify(stored).includes(body.apiKey), 'the secret itself is never stored')
  const list = await app.inject({ method: 'GET', url: `/admin/v1/companies/${body.company.id}/api-keys`, headers: admin })
  assert.equal(list.statusCode, 200)
  assert.ok(!list.body.includes(body.apiKey), 'listing never shows a secret')
  assert.equal(list.json().apiKeys[0].prefix, body.apiKey.slice(0, 6))
})

test('GET /v1/me answers exactly as Attentive does, for the key of the calling company', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app, 'Hudson & Ivy')
  const response = await app.inject({ method: 'GET', url: '/v1/me', headers: company.auth })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /^application\/json; charset=utf-8/)
  assert.deepEqual(response.json(), {
    applicationName: 'Default',
    attentiveDomainName: 'attune.test',
    companyName: 'Hudson & Ivy',
    contactEmail: '',
    companyId: company.id,
  })
  assert.deepEqual(Object.keys(response.json()), [
    'applicationName',
    'attentiveDomainName',
    'companyName',
    'contactEmail',
    'companyId',
  ])
  const v2 = await app.inject({ method: 'GET', url: '/v2/me', headers: company.auth })
  assert.deepEqual(v2.json(), response.json())
})

test('a missing, malformed, unknown or revoked key gets 401 with the JSON error body', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const extra = await app.inject({
    method: 'POST',
    url: `/admin/v1/companies/${company.id}/api-keys`,
    headers: admin,
    payload: { name: 'loyalty app', scopes: ['subscriptions:write'] },
  })
  const { id: keyId, apiKey } = extra.json<{ id: number; apiKey: string }>()
  const cases: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['not bearer', { authorization: `Basic ${apiKey}` }],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['unknown', { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
    ['admin token is not an API key', admin],
  ]
  for (const [name, headers] of cases) {
    const response = await app.inject({ method: 'GET', url: '/v1/me', headers })
    assert.equal(response.statusCode, 401, name)
    assert.equal(response.json().error.code, 'unauthorized', name)
    assert.equal(typeof response.json().error.id, 'number', name)
    assert.ok(response.headers['x-ratelimit-limit'], `${name}: unauthenticated answers carry the rate headers`)
  }
  assert.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `bearer ${apiKey}` } })).statusCode, 200)
  const revoke = await app.inject({ method: 'DELETE', url: `/admin/v1/companies/${company.id}/api-keys/${keyId}`, headers: admin })
  assert.equal(revoke.statusCode, 204)
  const after = await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${apiKey}` } })
  assert.equal(after.statusCode, 401)
  assert.match(after.json().error.message, /unknown or revoked/)
})

test('the admin API refuses API keys and wrong tokens, and rejects unknown fields', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  for (const headers of [{}, company.auth, { authorization: 'Bearer wrong-token-wrong-token-wrong' }]) {
    const response = await app.inject({ method: 'GET', url: '/admin/v1/companies', headers })
    assert.equal(response.statusCode, 401)
  }
  const unknownField = await app.inject({
    method: 'POST',
    url: '/admin/v1/companies',
    headers: admin,
    payload: { name: 'X', plan: 'gold' },
  })
  assert.equal(unknownField.statusCode, 400)
  assert.equal(unknownField.json().error.field, 'plan')
})

test('scopes: X:write grants X:read, X:all both, names are case-insensitive, unknown scopes are refused', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const created = await app.inject({
    method: 'POST',
    url: `/admin/v1/companies/${company.id}/api-keys`,
    headers: admin,
    payload: { name: 'k', scopes: ['Segments:Write', 'events:ALL', 'events:all'] },
  })
  assert.equal(created.statusCode, 201)
  assert.deepEqual(created.json().scopes, ['segments:write', 'events:all'])
  const bad = await app.inject({
    method: 'POST',
    url: `/admin/v1/companies/${company.id}/api-keys`,
    headers: admin,
    payload: { name: 'k', scopes: ['events:write', 'everything'] },
  })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().error.field, 'scopes[1]')
  assert.match(bad.json().error.message, /expected <resource>:read\|write\|all/)
  const narrow = await createKey(app, company, ['events:write'])
  assert.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: narrow })).statusCode, 200, '/v1/me needs no scope')
})

test('a key of company A never sees company B: /v1/me, and admin paths naming B need the admin token', async (t) => {
  const { app } = await buildTestApp(t)
  const a = await createCompany(app, 'Alpha Outfitters')
  const b = await createCompany(app, 'Bravo Botanicals')
  const me = await app.inject({ method: 'GET', url: '/v1/me', headers: a.auth })
  assert.equal(me.json().companyId, a.id)
  assert.ok(!me.body.includes('Bravo'))
  await assertCrossCompanyDenied(
    app,
    a,
    [
      { method: 'GET', url: `/admin/v1/companies/${b.id}` },
      { method: 'GET', url: `/admin/v1/companies/${b.id}/api-keys` },
      { method: 'DELETE', url: `/admin/v1/companies/${b.id}/api-keys/1` },
    ],
    ['Bravo', b.apiKey.slice(0, 6)],
  )
})

test('revoking a key of another company, or an unknown key, is a 404 and revokes nothing', async (t) => {
  const { app, database } = await buildTestApp(t)
  const a = await createCompany(app, 'A')
  const b = await createCompany(app, 'B')
  const bKeys = await app.inject({ method: 'GET', url: `/admin/v1/companies/${b.id}/api-keys`, headers: admin })
  const bKeyId = bKeys.json().apiKeys[0].id as number
  const wrong = await app.inject({ method: 'DELETE', url: `/admin/v1/companies/${a.id}/api-keys/${bKeyId}`, headers: admin })
  assert.equal(wrong.statusCode, 404)
  assert.equal(wrong.json().error.code, 'unknown_api_key')
  const revoked = await database.db.selectFrom('api_keys').select('id').where('revoked_at', 'is not', null).execute()
  assert.deepEqual(revoked, [])
  assert.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: b.auth })).statusCode, 200)
})

test('company settings are changed through the admin API and checked: a bad zone or an unknown setting is a 400', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const url = `/admin/v1/companies/${company.id}`
  const ok = await app.inject({
    method: 'PATCH',
    url,
    headers: admin,
    payload: { settings: { revokeAll: false, timeZone: 'America/Chicago', smsCountries: ['US', 'MX'], frequencyCap: false } },
  })
  assert.equal(ok.statusCode, 200, ok.body)
  assert.deepEqual(ok.json().settings, { revokeAll: false, timeZone: 'America/Chicago', smsCountries: ['US', 'MX'], frequencyCap: false })
  const merged = await app.inject({ method: 'PATCH', url, headers: admin, payload: { settings: { maxSegments: 4 } } })
  assert.equal(merged.json().settings.timeZone, 'America/Chicago', 'settings are merged key by key')
  for (const [settings, field] of [
    [{ timeZone: 'Mars/Olympus' }, 'settings.timeZone'],
    [{ defaultCountry: 'usa' }, 'settings.defaultCountry'],
    [{ maxSegments: 0 }, 'settings.maxSegments'],
    [{ unknownSwitch: true }, 'settings.unknownSwitch'],
  ] as const) {
    const bad = await app.inject({ method: 'PATCH', url, headers: admin, payload: { settings } })
    assert.equal(bad.statusCode, 400, JSON.stringify(settings))
    assert.equal(bad.json().error.field, field)
  }
  const stored = await app.inject({ method: 'GET', url, headers: admin })
  assert.equal(stored.json().settings.maxSegments, 4, 'a refused change stored nothing')
  assert.equal(stored.json().settings.timeZone, 'America/Chicago')
})
