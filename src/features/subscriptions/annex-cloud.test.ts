import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'

// The three Subscriptions calls of the Annex Cloud integration guide (seed 004), sent as the guide writes them,
// must get the guide's response bodies (ATTENTIVE_API.md §5.1).

const SUBSCRIBE_BODY = `{
    "user": {
        "phone": "7707651750",
        "email": "test@gmail.com"
    },
    "signUpSourceId": "132109"
}`

const SUBSCRIBE_RESPONSE = {
  user: { phone: '7707651750', email: 'test@gmail.com' },
  subscriptionResponses: [
    { subscription: { type: 'MARKETING', channel: 'TEXT' }, subscriptionCreationStatus: 'NEWLY_CREATED' },
    { subscription: { type: 'MARKETING', channel: 'EMAIL' }, subscriptionCreationStatus: 'NEWLY_CREATED' },
  ],
}

const ELIGIBILITY_RESPONSE = {
  subscriptionEligibilities: [
    { subscription: { type: 'MARKETING', channel: 'TEXT' }, eligibility: { isEligible: true } },
    { subscription: { type: 'MARKETING', channel: 'EMAIL' }, eligibility: { isEligible: true } },
  ],
}

const UNSUBSCRIBE_BODY = `{
    "user": {
        "phone": "7707651750",
        "email": "test@gmail.com"
    },
    "subscriptions": [
        {
            "type": "MARKETING",
            "channel": "EMAIL"
        },
        {
            "type": "MARKETING",
            "channel": "TEXT"
        }
    ]
}`

const UNSUBSCRIBE_RESPONSE = {
  user: { phone: '7707651750', email: 'test@gmail.com' },
  subscriptionResponses: [
    {
      subscription: { type: 'MARKETING', channel: 'TEXT' },
      subscriptionUnsubscribeStatus: 'NEWLY_UNSUBSCRIBED',
    },
    {
      subscription: { type: 'MARKETING', channel: 'EMAIL' },
      subscriptionUnsubscribeStatus: 'NEWLY_UNSUBSCRIBED',
    },
  ],
}

test('the Annex Cloud subscribe, eligibility and unsubscribe calls get the guide’s answers, byte for byte', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  // Annex needs "an API sign-up flow with a numeric source ID": the brand keeps Attentive's id.
  const source = await app.inject({
    method: 'POST',
    url: '/v1/sign-up-sources',
    headers: company.auth,
    payload: {
      id: '132109',
      name: 'Annex Cloud loyalty',
      channels: ['TEXT', 'EMAIL'],
      type: 'MARKETING',
      disclosure:
        'By joining you agree to receive recurring automated marketing texts. Consent is not a condition of purchase.',
      doubleOptIn: false,
    },
  })
  assert.equal(source.statusCode, 201, source.body)
  const headers = { 'content-type': 'application/json', ...company.auth }

  const subscribed = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers,
    payload: SUBSCRIBE_BODY,
  })
  assert.equal(subscribed.statusCode, 202, subscribed.body)
  assert.equal(subscribed.body, JSON.stringify(SUBSCRIBE_RESPONSE))

  const eligible = await app.inject({
    method: 'GET',
    url: '/v1/subscriptions?phone=7707651750&email=test@gmail.com',
    headers,
  })
  assert.equal(eligible.statusCode, 200, eligible.body)
  assert.equal(eligible.body, JSON.stringify(ELIGIBILITY_RESPONSE))

  const unsubscribed = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions/unsubscribe',
    headers,
    payload: UNSUBSCRIBE_BODY,
  })
  assert.equal(unsubscribed.statusCode, 202, unsubscribed.body)
  assert.equal(unsubscribed.body, JSON.stringify(UNSUBSCRIBE_RESPONSE))

  // Stored: one profile with the phone in E.164 and the email as given, and a ledger citing the source.
  const identifiers = await database.db
    .selectFrom('user_identifiers')
    .select(['kind', 'value'])
    .orderBy('kind')
    .execute()
  assert.deepEqual(identifiers, [
    { kind: 'email', value: 'test@gmail.com' },
    { kind: 'phone', value: '+17707651750' },
  ])
  const ledger = await database.db
    .selectFrom('consent_ledger')
    .select([
      'channel',
      'new_state',
      'address',
      'address_as_given',
      'sign_up_source_id',
      'disclosure_version',
    ])
    .orderBy('id')
    .execute()
  assert.deepEqual(ledger, [
    {
      channel: 'TEXT',
      new_state: 'SUBSCRIBED',
      address: '+17707651750',
      address_as_given: '7707651750',
      sign_up_source_id: '132109',
      disclosure_version: 1,
    },
    {
      channel: 'EMAIL',
      new_state: 'SUBSCRIBED',
      address: 'test@gmail.com',
      address_as_given: 'test@gmail.com',
      sign_up_source_id: '132109',
      disclosure_version: 1,
    },
    {
      channel: 'TEXT',
      new_state: 'UNSUBSCRIBED',
      address: '+17707651750',
      address_as_given: '7707651750',
      sign_up_source_id: null,
      disclosure_version: null,
    },
    {
      channel: 'EMAIL',
      new_state: 'UNSUBSCRIBED',
      address: 'test@gmail.com',
      address_as_given: 'test@gmail.com',
      sign_up_source_id: null,
      disclosure_version: null,
    },
  ])
})

test('the Annex Cloud subscribe without a signUpSourceId is a 400 that says the source id is required', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: { 'content-type': 'application/json', ...company.auth },
    payload: '{"user":{"phone":"7707651750","email":"test@gmail.com"}}',
  })
  assert.equal(response.statusCode, 400)
  const error = response.json<{ error: { code: string; field: string; message: string } }>().error
  assert.equal(error.code, 'sign_up_source_required')
  assert.equal(error.field, 'signUpSourceId')
  assert.match(error.message, /signUpSourceId/)
  assert.equal((await database.db.selectFrom('users').select('id').execute()).length, 0)
})
