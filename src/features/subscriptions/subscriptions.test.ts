import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { call, createSource } from '../../../test/helpers/subscribers.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import { confirmPendingOptIn } from './consent.service.ts'

const PHONE = '+17707651750'
const EMAIL = 'jane@example.com'

const pair = (type: string, channel: string) => ({ type, channel })

test('subscribe → eligibility → unsubscribe → eligibility for TEXT and EMAIL, MARKETING and TRANSACTIONAL, each call idempotent', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const marketing = await createSource(app, company, { id: 'mkt' })
  const transactional = await createSource(app, company, { id: 'txn', type: 'TRANSACTIONAL', disclosure: '' })
  const user = { phone: PHONE, email: EMAIL }

  for (const [source, type] of [
    [marketing, 'MARKETING'],
    [transactional, 'TRANSACTIONAL'],
  ] as const) {
    for (const status of ['NEWLY_CREATED', 'PREVIOUSLY_CREATED']) {
      const subscribed = await call(app, company, 'POST', '/v1/subscriptions', {
        user,
        signUpSourceId: source,
      })
      assert.equal(subscribed.status, 202, subscribed.raw)
      assert.deepEqual(subscribed.body, {
        user,
        subscriptionResponses: [
          { subscription: pair(type, 'TEXT'), subscriptionCreationStatus: status },
          { subscription: pair(type, 'EMAIL'), subscriptionCreationStatus: status },
        ],
      })
    }
  }
  const ledgerAfterSubscribes = await database.db.selectFrom('consent_ledger').select('id').execute()
  assert.equal(ledgerAfterSubscribes.length, 4, 'a repeated subscribe changes nothing')

  const eligibility = (isEligible: boolean) => ({
    subscriptionEligibilities: [
      { subscription: pair('MARKETING', 'TEXT'), eligibility: { isEligible } },
      { subscription: pair('TRANSACTIONAL', 'TEXT'), eligibility: { isEligible } },
      { subscription: pair('MARKETING', 'EMAIL'), eligibility: { isEligible } },
      { subscription: pair('TRANSACTIONAL', 'EMAIL'), eligibility: { isEligible } },
    ],
  })
  const url = `/v1/subscriptions?phone=${encodeURIComponent(PHONE)}&email=${EMAIL}`
  for (let i = 0; i < 2; i++) assert.deepEqual((await call(app, company, 'GET', url)).body, eligibility(true))

  const all = [
    pair('TRANSACTIONAL', 'EMAIL'),
    pair('MARKETING', 'TEXT'),
    pair('MARKETING', 'EMAIL'),
    pair('TRANSACTIONAL', 'TEXT'),
  ]
  for (const status of ['NEWLY_UNSUBSCRIBED', 'PREVIOUSLY_UNSUBSCRIBED']) {
    const unsubscribed = await call(app, company, 'POST', '/v1/subscriptions/unsubscribe', {
      user,
      subscriptions: all,
    })
    assert.equal(unsubscribed.status, 202, unsubscribed.raw)
    assert.deepEqual(unsubscribed.body, {
      user,
      subscriptionResponses: eligibility(true).subscriptionEligibilities.map((e) => ({
        subscription: e.subscription,
        subscriptionUnsubscribeStatus: status,
      })),
    })
  }
  for (let i = 0; i < 2; i++)
    assert.deepEqual((await call(app, company, 'GET', url)).body, eligibility(false))
  const ledger = await database.db.selectFrom('consent_ledger').select(['new_state', 'actor_kind']).execute()
  assert.equal(ledger.length, 8, 'a repeated unsubscribe changes nothing')
  assert.ok(ledger.every((row) => row.actor_kind === 'api_key'))
  const events = await database.db.selectFrom('domain_events').select('type').orderBy('id').execute()
  assert.deepEqual(
    events.map((e) => e.type),
    [
      'sms.subscribed',
      'email.subscribed',
      'sms.subscribed',
      'email.subscribed',
      'sms.unsubscribed',
      'sms.unsubscribed',
      'email.unsubscribed',
      'email.unsubscribed',
    ],
  )
})

test('a double opt-in sign-up is PENDING and not eligible, enqueues one opt-in request, and "Y" makes it SUBSCRIBED', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company, { id: '5001', doubleOptIn: true, channels: ['TEXT'] })
  const body = { user: { phone: '(770) 765-1750' }, signUpSourceId: source }
  const first = await call(app, company, 'POST', '/v1/subscriptions', body)
  assert.equal(
    (first.body.subscriptionResponses as Array<{ subscriptionCreationStatus: string }>)[0]
      ?.subscriptionCreationStatus,
    'NEWLY_CREATED',
  )
  const again = await call(app, company, 'POST', '/v1/subscriptions', body)
  assert.equal(
    (again.body.subscriptionResponses as Array<{ subscriptionCreationStatus: string }>)[0]
      ?.subscriptionCreationStatus,
    'PREVIOUSLY_CREATED',
  )
  const url = `/v1/subscriptions?phone=%2B17707651750`
  assert.deepEqual((await call(app, company, 'GET', url)).body, {
    subscriptionEligibilities: [
      { subscription: pair('MARKETING', 'TEXT'), eligibility: { isEligible: false } },
    ],
  })
  const jobs = await database.db.selectFrom('jobs').select(['kind', 'payload']).execute()
  const user = await database.db.selectFrom('users').select('id').executeTakeFirstOrThrow()
  assert.deepEqual(jobs, [
    { kind: 'message.opt_in_request', payload: { userId: user.id, signUpSourceId: '5001', channel: 'TEXT' } },
  ])
  assert.equal(
    (await database.db.selectFrom('domain_events').select('id').execute()).length,
    0,
    'PENDING announces nothing',
  )

  const confirmed = await database.db.transaction().execute((tx) =>
    confirmPendingOptIn(tx, companyIdOf(company.id), user.id, {
      messageId: 'MDc6TWVzc2FnZTE',
      now: new Date(),
    }),
  )
  assert.deepEqual(confirmed, [
    { channel: 'TEXT', type: 'MARKETING', previous: 'PENDING', state: 'SUBSCRIBED' },
  ])
  assert.deepEqual((await call(app, company, 'GET', url)).body, {
    subscriptionEligibilities: [
      { subscription: pair('MARKETING', 'TEXT'), eligibility: { isEligible: true } },
    ],
  })
  const last = await database.db
    .selectFrom('consent_ledger')
    .selectAll()
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow()
  assert.equal(last.actor_kind, 'keyword')
  assert.equal(last.actor_id, 'Y')
  assert.equal(last.message_id, 'MDc6TWVzc2FnZTE')
  const event = await database.db.selectFrom('domain_events').selectAll().executeTakeFirstOrThrow()
  assert.equal(event.type, 'sms.subscribed')
  assert.deepEqual(event.payload.creative, { name: 'Checkout', type: 'API', subtype: 'DOUBLE_OPT_IN' })
  assert.deepEqual(event.payload.subscription, { type: 'MARKETING', channel: 'TEXT' })
  assert.equal((event.payload.subscriber as { phone: string }).phone, PHONE)
})

test('singleOptIn skips the prompt, but a number that once opted out always goes through double opt-in', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company, { doubleOptIn: true })
  const body = { user: { phone: PHONE }, signUpSourceId: source, singleOptIn: true }
  await call(app, company, 'POST', '/v1/subscriptions', body)
  const state = () => database.db.selectFrom('consents').select('state').executeTakeFirstOrThrow()
  assert.equal((await state()).state, 'SUBSCRIBED')
  await call(app, company, 'POST', '/v1/subscriptions/unsubscribe', { user: { phone: PHONE } })
  assert.equal((await state()).state, 'UNSUBSCRIBED')
  const back = await call(app, company, 'POST', '/v1/subscriptions', body)
  assert.equal(
    (back.body.subscriptionResponses as Array<{ subscriptionCreationStatus: string }>)[0]
      ?.subscriptionCreationStatus,
    'NEWLY_CREATED',
  )
  assert.equal((await state()).state, 'PENDING')
  const jobs = await database.db.selectFrom('jobs').select('kind').execute()
  assert.deepEqual(jobs, [{ kind: 'message.opt_in_request' }])
})

test('unsubscribe names pairs or ends all; a missing pair is stored as a suppression; a pair without its identifier is left out', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company)
  await call(app, company, 'POST', '/v1/subscriptions', { user: { phone: PHONE }, signUpSourceId: source })

  const unknown = await call(app, company, 'POST', '/v1/subscriptions/unsubscribe', {
    user: { email: 'nobody@example.com' },
  })
  assert.deepEqual(unknown.body, { user: { email: 'nobody@example.com' }, subscriptionResponses: [] })

  const named = await call(app, company, 'POST', '/v1/subscriptions/unsubscribe', {
    user: { phone: PHONE },
    subscriptions: [pair('TRANSACTIONAL', 'TEXT'), pair('MARKETING', 'EMAIL')],
    notification: { disabled: true },
  })
  assert.deepEqual(named.body.subscriptionResponses, [
    { subscription: pair('TRANSACTIONAL', 'TEXT'), subscriptionUnsubscribeStatus: 'PREVIOUSLY_UNSUBSCRIBED' },
  ])
  const consents = await database.db
    .selectFrom('consents')
    .select(['type', 'state'])
    .orderBy('type')
    .execute()
  assert.deepEqual(consents, [
    { type: 'MARKETING', state: 'SUBSCRIBED' },
    { type: 'TRANSACTIONAL', state: 'UNSUBSCRIBED' },
  ])

  const deleted = await app.inject({
    method: 'DELETE',
    url: `/v1/subscriptions?phone=${PHONE}`,
    headers: company.auth,
  })
  assert.equal(deleted.statusCode, 202, deleted.body)
  assert.deepEqual(deleted.json(), {
    user: { phone: PHONE },
    subscriptionResponses: [
      { subscription: pair('MARKETING', 'TEXT'), subscriptionUnsubscribeStatus: 'NEWLY_UNSUBSCRIBED' },
      {
        subscription: pair('TRANSACTIONAL', 'TEXT'),
        subscriptionUnsubscribeStatus: 'PREVIOUSLY_UNSUBSCRIBED',
      },
    ],
  })
  const event = await database.db
    .selectFrom('domain_events')
    .selectAll()
    .where('type', '=', 'sms.unsubscribed')
    .executeTakeFirstOrThrow()
  assert.deepEqual(event.payload.notification, { disabled: false, language: 'en-US' })
})

test('subscribe by locale and subscriptionType needs exactly one matching source', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  await createSource(app, company, { id: 'en', locale: { language: 'en', country: 'US' } })
  const body = {
    user: { email: EMAIL },
    locale: { language: 'en', country: 'US' },
    subscriptionType: 'MARKETING',
  }
  const ok = await call(app, company, 'POST', '/v1/subscriptions', body)
  assert.equal(ok.status, 202, ok.raw)
  const row = await database.db.selectFrom('consents').select('sign_up_source_id').executeTakeFirstOrThrow()
  assert.equal(row.sign_up_source_id, 'en')
  assert.equal(
    (await call(app, company, 'POST', '/v1/subscriptions', { ...body, locale: 'en_US' })).status,
    202,
  )

  const none = await call(app, company, 'POST', '/v1/subscriptions', {
    ...body,
    locale: { language: 'fr', country: 'CA' },
  })
  assert.equal(none.status, 400)
  assert.equal((none.body.error as { code: string }).code, 'unknown_sign_up_source')
  await createSource(app, company, { id: 'en2', locale: { language: 'en', country: 'US' } })
  const two = await call(app, company, 'POST', '/v1/subscriptions', {
    ...body,
    user: { email: 'other@example.com' },
  })
  assert.equal(two.status, 400)
  assert.equal((two.body.error as { code: string }).code, 'ambiguous_sign_up_source')
  assert.equal((await database.db.selectFrom('users').select('id').execute()).length, 1)
})

test('a phone sent in a query string with an unencoded + is read as E.164, and externalIdentifiers are echoed and linked', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company)
  const external = { clientUserId: 42, customIdentifiers: [{ name: 'loyaltyId', value: '1122334455' }] }
  const subscribed = await call(app, company, 'POST', '/v1/subscriptions', {
    user: { phone: '+447911123456' },
    signUpSourceId: source,
    externalIdentifiers: external,
  })
  assert.deepEqual(subscribed.body.externalIdentifiers, external)
  const eligible = await call(app, company, 'GET', '/v1/subscriptions?phone=+447911123456')
  assert.deepEqual(eligible.body, {
    subscriptionEligibilities: [
      { subscription: pair('MARKETING', 'TEXT'), eligibility: { isEligible: true } },
    ],
  })
  const ids = await database.db
    .selectFrom('user_identifiers')
    .select(['kind', 'name', 'value'])
    .orderBy('kind')
    .execute()
  assert.deepEqual(ids, [
    { kind: 'client_user_id', name: '', value: '42' },
    { kind: 'custom', name: 'loyaltyId', value: '1122334455' },
    { kind: 'phone', name: '', value: '+447911123456' },
  ])
})

function companyIdOf(encoded: string): number {
  const id = decodeObjectId('Company', encoded)
  assert.ok(id !== undefined)
  return id
}
