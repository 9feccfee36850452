import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany, createKey } from '../../../test/helpers/company.ts'
import { companyIdOf, countRows, post } from './events-test-helpers.ts'

// Attentive-compatible bodies: every example of ATTENTIVE_API.md §2.3/§2.5/§5.2 and seed 003, and every tolerated
// variation of §1.7, must be answered 200 {} and stored; every bad-input class must get its 4xx and store nothing.

const accepted: Array<[name: string, path: string, body: Record<string, unknown>]> = [
  ['seed 003: a clientUserId-only event not linked yet', 'custom', {
    type: 'Order Shipped', properties: { orderId: '1001', carrier: 'UPS' }, user: { externalIdentifiers: { clientUserId: 'abc-123' } },
  }],
  ['seed 003: Order Delivered by phone', 'custom', { type: 'Order Delivered', properties: {}, user: { phone: '+15551234567' } }],
  ['seed 003: Account Created by email', 'custom', { type: 'Account Created', user: { email: 'new.user@example.com' } }],
  ['seed 003: Appointment Booked', 'custom', { type: 'Appointment Booked', user: { phone: '+19148440001' } }],
  ['seed 003: Appointment Cancelled', 'custom', { type: 'Appointment Cancelled', user: { email: 'pat@example.com' } }],
  ['seed 003: Subscription Cancelled, 13 hours old', 'custom', {
    type: 'Subscription Cancelled', occurredAt: '2026-01-15T02:00:00Z', user: { email: 'pat@example.com' },
  }],
  ['[OA]: occurredAt with Z and milliseconds, full user, numeric clientUserId', 'custom', {
    type: 'Order Shipped',
    properties: { productName: 'Sneakers', mediaUrl: 'https://acme.example/p.png', tags: ['a', 'b'], nested: { size: 10 } },
    externalEventId: '37f34fa3-1b9e-4a3c-8c1a-4b5e4a6e1f11',
    occurredAt: '2021-03-30T14:38:29.000Z',
    user: {
      phone: '+13115552368',
      email: 'test@gmail.com',
      externalIdentifiers: { clientUserId: 123456, customIdentifiers: [{ name: 'loyaltyId', value: '1122334455' }] },
    },
  }],
  ['[OA]: occurredAt with +0000', 'custom', { type: 'Order Shipped', occurredAt: '2021-03-30T14:38:29+0000', user: { phone: '+442071838750' } }],
  ['§1.7: occuredAt spelled as clients send it', 'custom', { type: 'Visit', occuredAt: '2026-01-15T14:00:00+01:00', user: { phone: '+551155256325' } }],
  ['§1.7: customIdentifiers as [{key, value}]', 'custom', {
    type: 'Visit', user: { externalIdentifiers: { customIdentifiers: [{ key: 'memberId', value: 'm-1' }] } },
  }],
  ['§1.7: customIdentifiers as a map, numeric shopifyId and klaviyoId', 'custom', {
    type: 'Visit', user: { externalIdentifiers: { shopifyId: 998877, klaviyoId: 42, customIdentifiers: { memberId: 'm-2' } } },
  }],
  ['§1.7: null and "" identifiers are absent; unknown fields ignored, even in user', 'custom', {
    type: 'Visit', source: 'crm', user: { phone: null, email: '', externalIdentifiers: { clientUserId: 'c-9' }, firstName: 'Pat' },
  }],
  ['§1.3 national number in the default country (seed 004 style)', 'custom', { type: 'Visit', user: { phone: '7707651750' } }],
  ['§2.5 product view as [OA] shows it', 'ecommerce/product-view', {
    items: [{ productId: '8123', productVariantId: '8123-1', price: [{ value: 19.99, currency: 'USD' }], name: 'Mug', productImage: 'https://acme.example/m.png', productUrl: 'https://acme.example/m' }],
    user: { phone: '+13115552368' },
  }],
  ['§2.5 view-item alias', 'ecommerce/view-item', {
    items: [{ productId: '8123', productVariantId: '8123-1', price: [{ value: 19.99 }] }], user: { email: 'test@gmail.com' },
  }],
  ['§2.5 add to cart with quantity', 'ecommerce/add-to-cart', {
    items: [{ productId: '8123', productVariantId: '8123-2', price: [{ value: 5, currency: 'EUR' }], quantity: 2 }], user: { email: 'test@gmail.com' },
  }],
  ['§2.5 purchase with orderId and salesChannel', 'ecommerce/purchase', {
    items: [{ productId: '8123', productVariantId: '8123-1', price: [{ value: 19.99, currency: 'USD' }], quantity: 1 }],
    orderId: 'order-77', salesChannel: { channelType: 'WEB' }, occurredAt: '2026-01-15T14:30:00Z', user: { phone: '+13115552368' },
  }],
  ['§1.7: numeric strings for quantity and price value, a bare number and a single object for price', 'ecommerce/purchase', {
    items: [
      { productId: 'p1', productVariantId: 'v1', price: [{ value: '10.50', currency: 'usd' }], quantity: '3' },
      { productId: 'p2', productVariantId: 'v2', price: 4 },
      { productId: 'p3', productVariantId: 'v3', price: { value: '0.99' } },
    ],
    salesChannel: { channelType: '' },
    user: { email: 'buyer@example.com' },
  }],
]

test('every example body of ATTENTIVE_API.md and the Ours Privacy seed is answered 200 {} and stored', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  for (const [name, path, body] of accepted) {
    const response = await post(app, company.auth, `/v1/events/${path}`, body)
    assert.equal(response.status, 200, `${name}: ${JSON.stringify(response.body)}`)
    assert.deepEqual(response.body, {}, name)
  }
  assert.equal(await countRows(deps, 'events', companyIdOf(company)), accepted.length)
  assert.equal(await countRows(deps, 'domain_events', companyIdOf(company)), accepted.length)
  const stored = await deps.db
    .selectFrom('events')
    .select(['kind', 'type', 'value', 'currency', 'properties', 'occurred_at'])
    .where('company_id', '=', companyIdOf(company))
    .orderBy('id')
    .execute()
  assert.deepEqual(stored[0]?.properties, { orderId: '1001', carrier: 'UPS' })
  assert.equal(stored[6]?.occurred_at.toISOString(), '2021-03-30T14:38:29.000Z')
  assert.equal(stored[8]?.occurred_at.toISOString(), '2026-01-15T13:00:00.000Z')
  const purchase = stored.at(-1)
  assert.equal(purchase?.kind, 'purchase')
  assert.equal(purchase?.value, '36.49') // 10.50 × 3 + 4 + 0.99, exact
  assert.equal(purchase?.currency, 'USD')
  assert.deepEqual((purchase?.properties as { items: Array<{ price: unknown; quantity?: number }> }).items[0], {
    productId: 'p1', productVariantId: 'v1', price: [{ value: '10.50', currency: 'USD' }], quantity: 3,
  })
  assert.equal(stored.filter((row) => row.kind === 'product_view').length, 2)
})

test('identifiers in every tolerated shape lead to one profile each, linked as sent', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const send = (user: unknown) => post(app, company.auth, '/v1/events/custom', { type: 'Visit', user })
  assert.equal((await send({ externalIdentifiers: { clientUserId: 77, customIdentifiers: { memberId: 5 } } })).status, 200)
  assert.equal((await send({ externalIdentifiers: { clientUserId: '77' } })).status, 200)
  assert.equal((await send({ externalIdentifiers: { customIdentifiers: [{ key: 'memberId', value: '5' }] } })).status, 200)
  const users = await deps.db.selectFrom('events').select('user_id').distinct().where('company_id', '=', companyIdOf(company)).execute()
  assert.equal(users.length, 1, 'clientUserId 77 and "77", memberId 5 and "5" name the same person')
  const ids = await deps.db.selectFrom('user_identifiers').select(['kind', 'name', 'value']).where('company_id', '=', companyIdOf(company)).orderBy('kind').execute()
  assert.deepEqual(ids, [{ kind: 'client_user_id', name: '', value: '77' }, { kind: 'custom', name: 'memberId', value: '5' }])
})

const refused: Array<[name: string, path: string, body: Record<string, unknown>, status: number, code: string, field: string, expected: RegExp]> = [
  ['a type with a parenthesis', 'custom', { type: 'Order (Shipped)', user: { phone: '+13115552368' } }, 400, 'invalid_event_type', 'type', /must not contain|without/],
  ['a type with a comma', 'custom', { type: 'Shipped,Delivered', user: { phone: '+13115552368' } }, 400, 'invalid_event_type', 'type', /without " ' \( \)/],
  ['a type with a quote', 'custom', { type: "Order's", user: { phone: '+13115552368' } }, 400, 'invalid_event_type', 'type', /'''/],
  ['an empty type', 'custom', { type: '', user: { phone: '+13115552368' } }, 400, 'validation_failed', 'type', /must not be empty/],
  ['a type of 256 characters', 'custom', { type: 'x'.repeat(256), user: { phone: '+13115552368' } }, 400, 'validation_failed', 'type', /at most 255/],
  ['no type', 'custom', { user: { phone: '+13115552368' } }, 400, 'validation_failed', 'type', /is required/],
  ['no user', 'custom', { type: 'Visit' }, 400, 'validation_failed', 'user', /is required/],
  ['user: {}', 'custom', { type: 'Visit', user: {} }, 400, 'validation_failed', 'user', /at least 1/],
  ['a user whose identifiers are all null or empty', 'custom', { type: 'Visit', user: { phone: null, email: '', externalIdentifiers: { clientUserId: '' } } }, 400, 'missing_identifier', 'user', /user.phone \(E.164\)/],
  ['a phone not in E.164 (§1.7)', 'custom', { type: 'Visit', user: { phone: '+1---914---844---0001' } }, 400, 'invalid_phone', 'user.phone', /E\.164/],
  ['a malformed email', 'custom', { type: 'Visit', user: { email: 'pat@localhost' } }, 400, 'invalid_email', 'user.email', /name@example.com/],
  ['a custom identifier without a name', 'custom', { type: 'Visit', user: { externalIdentifiers: { customIdentifiers: [{ value: 'x' }] } } }, 400, 'validation_failed', 'user.externalIdentifiers.customIdentifiers[0].name', /is required/],
  ['a date-only occurredAt', 'custom', { type: 'Visit', occurredAt: '2021-03-30', user: { phone: '+13115552368' } }, 400, 'invalid_occurred_at', 'occurredAt', /RFC 3339 such as/],
  ['an occurredAt that is not a date', 'custom', { type: 'Visit', occurredAt: 'yesterday', user: { phone: '+13115552368' } }, 400, 'invalid_occurred_at', 'occurredAt', /RFC 3339/],
  ['an occurredAt 2 hours ahead', 'custom', { type: 'Visit', occurredAt: '2099-01-01T00:00:00Z', user: { phone: '+13115552368' } }, 400, 'invalid_occurred_at', 'occurredAt', /future/],
  ['a misspelt occuredAt that is malformed', 'custom', { type: 'Visit', occuredAt: '30/03/2021', user: { phone: '+13115552368' } }, 400, 'invalid_occurred_at', 'occuredAt', /RFC 3339/],
  ['properties over 64 KiB', 'custom', { type: 'Visit', properties: { blob: 'x'.repeat(70_000) }, user: { phone: '+13115552368' } }, 400, 'invalid_properties', 'properties', /at most 65536 bytes/],
  ['a property key with a brace', 'custom', { type: 'Visit', properties: { 'a{b': 1 }, user: { phone: '+13115552368' } }, 400, 'invalid_properties', 'properties', /must not contain/],
  ['a nested property key with a pipe', 'custom', { type: 'Visit', properties: { a: { 'b|c': 1 } }, user: { phone: '+13115552368' } }, 400, 'invalid_properties', 'properties.a', /must not contain/],
  ['properties that are not an object', 'custom', { type: 'Visit', properties: 'x', user: { phone: '+13115552368' } }, 400, 'validation_failed', 'properties', /must be an object/],
  ['a price that is not a number', 'ecommerce/purchase', { items: [{ productId: 'p', productVariantId: 'v', price: [{ value: 'abc' }] }], user: { phone: '+13115552368' } }, 400, 'invalid_price', 'items[0].price[0].value', /decimal number such as 19.99/],
  ['a negative price', 'ecommerce/add-to-cart', { items: [{ productId: 'p', productVariantId: 'v', price: '-1' }], user: { phone: '+13115552368' } }, 400, 'invalid_price', 'items[0].price', /negative/],
  ['a price in exponent notation', 'ecommerce/product-view', { items: [{ productId: 'p', productVariantId: 'v', price: [{ value: '1e3' }] }], user: { phone: '+13115552368' } }, 400, 'invalid_price', 'items[0].price[0].value', /decimal/],
  ['an empty price list', 'ecommerce/product-view', { items: [{ productId: 'p', productVariantId: 'v', price: [] }], user: { phone: '+13115552368' } }, 400, 'validation_failed', 'items[0].price', /at least 1/],
  ['a price value of true', 'ecommerce/product-view', { items: [{ productId: 'p', productVariantId: 'v', price: [{ value: true }] }], user: { phone: '+13115552368' } }, 400, 'validation_failed', 'items[0].price[0].value', /must be/],
  ['an unknown currency', 'ecommerce/purchase', { items: [{ productId: 'p', productVariantId: 'v', price: [{ value: 1, currency: 'XYZ' }] }], user: { phone: '+13115552368' } }, 400, 'invalid_currency', 'items[0].price[0].currency', /ISO 4217.*USD/],
  ['a currency symbol', 'ecommerce/purchase', { items: [{ productId: 'p', productVariantId: 'v', price: [{ value: 1, currency: 'US$' }] }], user: { phone: '+13115552368' } }, 400, 'invalid_currency', 'items[0].price[0].currency', /three letters/],
  ['a fractional quantity', 'ecommerce/add-to-cart', { items: [{ productId: 'p', productVariantId: 'v', price: 1, quantity: '2.5' }], user: { phone: '+13115552368' } }, 400, 'invalid_quantity', 'items[0].quantity', /whole number/],
  ['no items', 'ecommerce/purchase', { items: [], user: { phone: '+13115552368' } }, 400, 'validation_failed', 'items', /at least 1/],
  ['an item without productVariantId', 'ecommerce/purchase', { items: [{ productId: 'p', price: 1 }], user: { phone: '+13115552368' } }, 400, 'validation_failed', 'items[0].productVariantId', /is required/],
  ['an unknown eCommerce kind', 'ecommerce/refund', { items: [], user: { phone: '+13115552368' } }, 404, 'not_found', '', /no route/],
]

test('each bad-input class gets its 4xx naming the field and the expected form, and stores nothing', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  for (const [name, path, body, status, code, field, expected] of refused) {
    const response = await post(app, company.auth, `/v1/events/${path}`, body)
    assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`)
    const error = response.body.error as { code: string; field?: string; message: string }
    assert.equal(error.code, code, name)
    if (field !== '') assert.equal(error.field, field, `${name}: ${error.message}`)
    assert.match(error.message, expected, name)
  }
  const companyId = companyIdOf(company)
  for (const table of ['events', 'domain_events', 'users', 'user_identifiers', 'event_external_ids', 'custom_event_types']) {
    assert.equal(await countRows(deps, table, companyId), 0, `nothing stored in ${table}`)
  }
})

test('the events endpoints need their scopes and carry the default rate limit of 150/s', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const eventsOnly = await createKey(app, company, ['events:write'])
  const ecommerceOnly = await createKey(app, company, ['ecommerce:write'])
  const custom = { type: 'Visit', user: { phone: '+13115552368' } }
  const view = { items: [{ productId: 'p', productVariantId: 'v', price: 1 }], user: { phone: '+13115552368' } }
  const ok = await post(app, eventsOnly, '/v1/events/custom', custom)
  assert.equal(ok.status, 200)
  assert.equal(ok.headers['x-ratelimit-limit'], '150')
  assert.equal((await post(app, ecommerceOnly, '/v1/events/custom', custom)).status, 403)
  assert.equal((await post(app, eventsOnly, '/v1/events/ecommerce/product-view', view)).status, 403)
  const viewed = await post(app, ecommerceOnly, '/v1/events/ecommerce/product-view', view)
  assert.equal(viewed.status, 200)
  assert.equal(viewed.headers['x-ratelimit-limit'], '150')
  assert.equal((await post(app, {}, '/v1/events/custom', custom)).status, 401)
})
