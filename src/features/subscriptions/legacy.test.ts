import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { call, createSource } from '../../../test/helpers/subscribers.ts'

test('/1/add-subscribers signs up through the "Legacy API" source with double opt-in, linking metadata.email and attributes', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const refused = await call(app, company, 'POST', '/1/add-subscribers', { phone: '7707651750' })
  assert.equal(refused.status, 400)
  assert.equal((refused.body.error as { code: string }).code, 'unknown_sign_up_source')
  assert.equal((await database.db.selectFrom('users').select('id').execute()).length, 0)

  await createSource(app, company, { name: 'Legacy API', doubleOptIn: true })
  const added = await call(app, company, 'POST', '/1/add-subscribers', {
    phone: '7707651750',
    visitorId: 'v-1',
    metadata: { email: 'jane@example.com', tier: 'gold' },
  })
  assert.equal(added.status, 200, added.raw)
  assert.deepEqual(added.body, {})
  const consent = await database.db.selectFrom('consents').select(['channel', 'state', 'address']).execute()
  assert.deepEqual(consent, [{ channel: 'TEXT', state: 'PENDING', address: '+17707651750' }])
  assert.deepEqual((await call(app, company, 'GET', '/v1/attributes/custom?email=jane@example.com')).body, [
    { name: 'tier', value: 'gold' },
  ])
  assert.deepEqual(await database.db.selectFrom('jobs').select('kind').execute(), [
    { kind: 'message.opt_in_request' },
  ])
})

test('/1/subscribers/unsubscribe opts a phone out of every TEXT subscription and answers 409 the second time', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company)
  await call(app, company, 'POST', '/v1/subscriptions', {
    user: { phone: '+17707651750' },
    signUpSourceId: source,
  })
  const first = await call(app, company, 'POST', '/1/subscribers/unsubscribe', {
    phone: '7707651750',
    sendOptOutMessage: false,
  })
  assert.equal(first.status, 200, first.raw)
  const states = await database.db.selectFrom('consents').select(['type', 'state']).orderBy('type').execute()
  assert.deepEqual(states, [
    { type: 'MARKETING', state: 'UNSUBSCRIBED' },
    { type: 'TRANSACTIONAL', state: 'UNSUBSCRIBED' },
  ])
  const event = await database.db
    .selectFrom('domain_events')
    .selectAll()
    .where('type', '=', 'sms.unsubscribed')
    .executeTakeFirstOrThrow()
  assert.deepEqual(event.payload.notification, { disabled: true, language: 'en-US' })
  const second = await call(app, company, 'POST', '/1/subscribers/unsubscribe', {
    phone: '7707651750',
    sendOptOutMessage: true,
  })
  assert.equal(second.status, 409)
  assert.equal((second.body.error as { code: string }).code, 'already_unsubscribed')
})

test('the legacy paths answer a missing or unknown token with 403, as Attentive documents for legacy tokens', async (t) => {
  const { app, database } = await buildTestApp(t)
  for (const url of ['/1/add-subscribers', '/1/subscribers/unsubscribe']) {
    for (const headers of [{}, { authorization: 'Bearer not-a-key-not-a-key-not-a-key-000000' }]) {
      const response = await app.inject({ method: 'POST', url, headers, payload: { phone: '7707651750', sendOptOutMessage: false } })
      assert.equal(response.statusCode, 403, `${url} ${JSON.stringify(headers)}`)
      assert.equal(response.json().error.code, 'forbidden')
    }
  }
  assert.equal((await database.db.selectFrom('users').select('id').execute()).length, 0)
})
