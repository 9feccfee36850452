import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { call } from '../../../test/helpers/subscribers.ts'

const user = { phone: '+17707651750' }

test('Attentive’s example properties are stored with the type their first value fixes and read back as strings', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const properties = {
    age: '24',
    birthday: '1986-11-16',
    'sign up': '2021-04-23T16:04:33Z',
    'favorite team': 'Minnesota Vikings',
    'Gift card balance': '50.89',
    VIP: 'TRUE',
    ignored: null,
  }
  const response = await call(app, company, 'POST', '/v1/attributes/custom', { properties, user })
  assert.equal(response.status, 200, response.raw)
  assert.deepEqual(response.body, {})
  const read = await call(app, company, 'GET', '/v1/attributes/custom?phone=%2B17707651750')
  assert.deepEqual(read.body, [
    { name: 'Gift card balance', value: '50.89' },
    { name: 'VIP', value: 'true' },
    { name: 'age', value: '24' },
    { name: 'birthday', value: '1986-11-16' },
    { name: 'favorite team', value: 'Minnesota Vikings' },
    { name: 'sign up', value: '2021-04-23T16:04:33Z' },
  ])
  const types = await database.db
    .selectFrom('custom_attribute_definitions')
    .select(['name', 'type'])
    .orderBy('name')
    .execute()
  assert.deepEqual(types, [
    { name: 'Gift card balance', type: 'NUMBER' },
    { name: 'VIP', type: 'BOOLEAN' },
    { name: 'age', type: 'NUMBER' },
    { name: 'birthday', type: 'DATE' },
    { name: 'favorite team', type: 'STRING' },
    { name: 'sign up', type: 'DATE' },
  ])
  const events = await database.db
    .selectFrom('domain_events')
    .select(['type', 'payload'])
    .orderBy('id')
    .execute()
  assert.equal(events.length, 6)
  assert.ok(events.every((e) => e.type === 'custom_attribute.set'))
  assert.deepEqual(
    (events[5]?.payload as { userProperty: { name: string; value: string } }).userProperty.value,
    'true',
  )
  assert.deepEqual(
    (await call(app, company, 'GET', '/v1/attributes/custom?email=nobody@example.com')).body,
    [],
  )
})

test('a repeated value records nothing; a value that does not fit the type is kept as sent; null clears nothing', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  await call(app, company, 'POST', '/v1/attributes/custom', { properties: { age: 24 }, user })
  await call(app, company, 'POST', '/v1/attributes/custom', { properties: { age: '24' }, user })
  assert.equal((await database.db.selectFrom('domain_events').select('id').execute()).length, 1)
  await call(app, company, 'POST', '/v1/attributes/custom', { properties: { age: 'unknown' }, user })
  await call(app, company, 'POST', '/v1/attributes/custom', { properties: { age: null }, user })
  const row = await database.db
    .selectFrom('user_attributes')
    .select(['value', 'fits_type'])
    .executeTakeFirstOrThrow()
  assert.deepEqual(row, { value: 'unknown', fits_type: false })
})

test('a write that would give a profile more than 100 attributes is refused whole', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const many = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`a${i}`, i]))
  assert.equal(
    (await call(app, company, 'POST', '/v1/attributes/custom', { properties: many, user })).status,
    200,
  )
  const refused = await call(app, company, 'POST', '/v1/attributes/custom', {
    properties: { a0: 'changed', x: 1, y: 2 },
    user,
  })
  assert.equal(refused.status, 400)
  assert.equal((refused.body.error as { code: string }).code, 'attribute_limit_exceeded')
  const stored = await database.db
    .selectFrom('user_attributes')
    .select(['name', 'value'])
    .where('name', 'in', ['a0', 'x'])
    .execute()
  assert.deepEqual(stored, [{ name: 'a0', value: '0' }])
  const fits = await call(app, company, 'POST', '/v1/attributes/custom', {
    properties: { a0: 'changed', x: 1 },
    user,
  })
  assert.equal(fits.status, 200, 'exactly 100 names is allowed')
})

test('attributes sent by clientUserId alone are kept and joined to the subscriber once linked', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const byId = await call(app, company, 'POST', '/v1/attributes/custom', {
    properties: { tier: 'gold' },
    user: { externalIdentifiers: { clientUserId: 'abc-123' } },
  })
  assert.equal(byId.status, 200, byId.raw)
  await call(app, company, 'POST', '/v1/identity-resolution/user-identifiers', {
    clientUserId: 'abc-123',
    phone: '7707651750',
  })
  assert.deepEqual((await call(app, company, 'GET', '/v1/attributes/custom?phone=%2B17707651750')).body, [
    { name: 'tier', value: 'gold' },
  ])
})
