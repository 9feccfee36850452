import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, TEST_ADMIN_TOKEN } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { createSource, fileScope } from '../../../test/helpers/subscribers.ts'

// Every class of bad input gets a 4xx naming the field, and nothing is stored: no profile, no identifier, no
// consent, no ledger row, no attribute, no job, no domain event. One app serves the whole file; no request here
// is valid, so the tables must stay empty throughout.

const setup = (async () => {
  const testApp = await buildTestApp(fileScope)
  const company = await createCompany(testApp.app)
  // Far more requests per second than Attentive's limits allow: this file tests validation, not rate limits.
  const limits = await testApp.app.inject({
    method: 'PATCH',
    url: `/admin/v1/companies/${company.id}`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: { settings: { rateLimits: { subscribe: 10_000, unsubscribe: 10_000, identity: 10_000 } } },
  })
  assert.equal(limits.statusCode, 200, limits.body)
  await createSource(testApp.app, company, { id: '132109' })
  await createSource(testApp.app, company, { id: 'email-only', channels: ['EMAIL'] })
  return { ...testApp, company }
})()

const TABLES = [
  'users',
  'user_identifiers',
  'consents',
  'consent_ledger',
  'user_attributes',
  'custom_attribute_definitions',
  'jobs',
  'domain_events',
  'user_merges',
] as const

type Case = [
  name: string,
  method: 'POST' | 'GET' | 'DELETE',
  url: string,
  payload: unknown,
  status: number,
  code: string,
  field: string,
]

const nested = { user: { email: 'a@example.com' } }
const cases: Case[] = [
  // identifiers
  [
    'Attentive\u2019s own example number',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '555-555-5555' }, signUpSourceId: '132109' },
    400,
    'invalid_phone',
    'user.phone',
  ],
  [
    'text around a number',
    'POST',
    '/v1/subscriptions',
    { user: { phone: 'call 770-765-1750' }, signUpSourceId: '132109' },
    400,
    'invalid_phone',
    'user.phone',
  ],
  [
    'an extension',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '+17707651750 x12' }, signUpSourceId: '132109' },
    400,
    'invalid_phone',
    'user.phone',
  ],
  [
    'a malformed email beside a valid phone',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '+17707651750', email: 'jane@' }, signUpSourceId: '132109' },
    400,
    'invalid_email',
    'user.email',
  ],
  [
    'no identifier',
    'POST',
    '/v1/subscriptions',
    { user: {}, signUpSourceId: '132109' },
    400,
    'missing_identifier',
    'user',
  ],
  [
    'empty identifiers',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '', email: null }, signUpSourceId: '132109' },
    400,
    'missing_identifier',
    'user',
  ],
  ['no user', 'POST', '/v1/subscriptions', { signUpSourceId: '132109' }, 400, 'validation_failed', 'user'],
  [
    'an external id over 100 characters',
    'POST',
    '/v1/subscriptions',
    {
      user: { phone: '+17707651750' },
      signUpSourceId: '132109',
      externalIdentifiers: { clientUserId: 'x'.repeat(101) },
    },
    400,
    'validation_failed',
    'externalIdentifiers.clientUserId',
  ],
  // sign-up sources
  [
    'an unknown sign-up source',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '+17707651750' }, signUpSourceId: '999' },
    400,
    'unknown_sign_up_source',
    'signUpSourceId',
  ],
  [
    'no sign-up source',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '+17707651750' } },
    400,
    'sign_up_source_required',
    'signUpSourceId',
  ],
  [
    'a locale without subscriptionType',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '+17707651750' }, locale: { language: 'en', country: 'US' } },
    400,
    'sign_up_source_required',
    'subscriptionType',
  ],
  [
    'a phone for an email-only source',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '+17707651750' }, signUpSourceId: 'email-only' },
    400,
    'sign_up_source_channel_mismatch',
    'user.phone',
  ],
  // channel and type values
  [
    'a wrong subscriptionType',
    'POST',
    '/v1/subscriptions',
    { user: { phone: '+17707651750' }, locale: { language: 'en', country: 'US' }, subscriptionType: 'PROMO' },
    400,
    'validation_failed',
    'subscriptionType',
  ],
  [
    'a wrong channel',
    'POST',
    '/v1/subscriptions/unsubscribe',
    { user: { phone: '+17707651750' }, subscriptions: [{ type: 'MARKETING', channel: 'SMS' }] },
    400,
    'validation_failed',
    'subscriptions[0].channel',
  ],
  [
    'a wrong type',
    'POST',
    '/v1/subscriptions/unsubscribe',
    { user: { phone: '+17707651750' }, subscriptions: [{ type: 'marketing', channel: 'TEXT' }] },
    400,
    'validation_failed',
    'subscriptions[0].type',
  ],
  [
    'a wrong notification language',
    'POST',
    '/v1/subscriptions/unsubscribe',
    { user: { phone: '+17707651750' }, notification: { language: 'en-us' } },
    400,
    'validation_failed',
    'notification.language',
  ],
  [
    'an invalid phone to unsubscribe',
    'POST',
    '/v1/subscriptions/unsubscribe',
    { user: { phone: '555-1234' }, subscriptions: [{ type: 'MARKETING', channel: 'TEXT' }] },
    400,
    'invalid_phone',
    'user.phone',
  ],
  [
    'an invalid phone to look up',
    'GET',
    '/v1/subscriptions?phone=555-555-5555',
    undefined,
    400,
    'invalid_phone',
    'phone',
  ],
  ['no identifier to look up', 'GET', '/v1/subscriptions', undefined, 400, 'missing_identifier', 'phone'],
  [
    'an invalid email to delete',
    'DELETE',
    '/v1/subscriptions?email=nope',
    undefined,
    400,
    'invalid_email',
    'email',
  ],
  // custom attributes
  [
    'a nested attribute value',
    'POST',
    '/v1/attributes/custom',
    { properties: { address: { city: 'Atlanta' } }, ...nested },
    400,
    'invalid_attribute',
    'properties.address',
  ],
  [
    'an array attribute value',
    'POST',
    '/v1/attributes/custom',
    { properties: { ok: 'fine', tags: ['a'] }, ...nested },
    400,
    'invalid_attribute',
    'properties.tags',
  ],
  [
    'a name over 200 characters',
    'POST',
    '/v1/attributes/custom',
    { properties: { ['n'.repeat(201)]: 'x' }, ...nested },
    400,
    'invalid_attribute',
    `properties.${'n'.repeat(201)}`,
  ],
  [
    'more than 100 attributes',
    'POST',
    '/v1/attributes/custom',
    { properties: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, i])), ...nested },
    400,
    'attribute_limit_exceeded',
    'properties',
  ],
  [
    'attributes without a user',
    'POST',
    '/v1/attributes/custom',
    { properties: { a: 1 }, user: {} },
    400,
    'validation_failed',
    'user',
  ],
  [
    'attributes with a bad phone',
    'POST',
    '/v1/attributes/custom',
    { properties: { a: 1 }, user: { phone: '1-800-FLOWERS' } },
    400,
    'invalid_phone',
    'user.phone',
  ],
  [
    'attributes read by phone and email',
    'GET',
    '/v1/attributes/custom?phone=%2B17707651750&email=a@example.com',
    undefined,
    400,
    'validation_failed',
    'email',
  ],
  // identity
  [
    'an empty identity body',
    'POST',
    '/v1/identity-resolution/user-identifiers',
    undefined,
    400,
    'validation_failed',
    'body',
  ],
  [
    'an identity body with no identifier',
    'POST',
    '/v1/identity-resolution/user-identifiers',
    {},
    400,
    'missing_identifier',
    'body',
  ],
  [
    'a clientUserId alone',
    'POST',
    '/v1/identity-resolution/user-identifiers',
    { clientUserId: 'u-1' },
    400,
    'missing_identifier',
    'clientUserId',
  ],
  [
    'a custom identifier without a name',
    'POST',
    '/v1/identity-resolution/user-identifiers',
    { email: 'a@example.com', customIdentifiers: [{ value: '1' }] },
    400,
    'validation_failed',
    'body.customIdentifiers[0].name',
  ],
  [
    'an identity email over 100 characters',
    'POST',
    '/v1/identity-resolution/user-identifiers',
    { email: `${'a'.repeat(95)}@example.com`, clientUserId: 'u' },
    400,
    'validation_failed',
    'email',
  ],
  // users
  ['a user id that is not one', 'GET', '/v1/users/not-an-id', undefined, 404, 'unknown_user', 'id'],
  ['a users lookup without identifier', 'GET', '/v1/users', undefined, 400, 'missing_identifier', 'phone'],
]

for (const [name, method, url, payload, status, code, field] of cases) {
  test(`${name}: ${status} ${code} naming ${field.slice(0, 40)}, nothing stored`, async () => {
    const { app, company, database } = await setup
    const response = await app.inject({
      method,
      url,
      headers: {
        ...company.auth,
        ...(payload === undefined && method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    })
    assert.equal(response.statusCode, status, response.body)
    const error = response.json<{ error: { code: string; field?: string; message: string } }>().error
    assert.equal(error.code, code, response.body)
    assert.equal(error.field, field, response.body)
    assert.ok(error.message.includes(field.slice(0, 40)), error.message)
    for (const table of TABLES) {
      const rows = await database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      assert.equal(Number(rows.n), 0, `${table} after ${name}`)
    }
  })
}
