import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany, createKey } from '../../../test/helpers/company.ts'
import { companyIdOf, countRows, post } from './events-test-helpers.ts'

const phone = '+19148440001'
const item = (productId: string) => ({ productId, productVariantId: `${productId}-v`, price: [{ value: '12.00', currency: 'USD' }] })

interface Result {
  index: number
  status: number
  error?: { code: string; field?: string; message: string }
}

test('a batch stores its good events and reports each bad one by index, field and expected form', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const events = [
    { kind: 'custom', type: 'Order Shipped', properties: { orderId: 'o-1' }, user: { phone } },
    { kind: 'refund', user: { phone } },
    { kind: 'product-view', items: [item('p1')], user: { email: 'pat@example.com' } },
    { kind: 'custom', type: 'Bad (type)', user: { phone } },
    { kind: 'add-to-cart', items: [item('p1')], user: { phone } },
    { kind: 'purchase', items: [{ ...item('p2'), price: [{ value: 'ten' }] }], user: { phone } },
    { kind: 'custom', type: 'Visit', occurredAt: '2021-03-30', user: { phone } },
    { kind: 'custom', type: 'Visit', user: {} },
    { kind: 'purchase', items: [item('p2')], orderId: 'o-2', user: { phone } },
    { kind: 'purchase', items: [{ ...item('p3'), price: [{ value: 1, currency: 'ABC' }] }], user: { phone } },
    { kind: 'custom', user: { phone } },
    { type: 'No Kind', user: { phone } },
    42,
  ]
  const response = await post(app, company.auth, '/v1/events/batch', { events })
  assert.equal(response.status, 200, JSON.stringify(response.body))
  const results = response.body.results as Result[]
  assert.deepEqual(results.map((r) => [r.index, r.status, r.error?.code, r.error?.field]), [
    [0, 200, undefined, undefined],
    [1, 400, 'unknown_event_kind', 'events[1].kind'],
    [2, 200, undefined, undefined],
    [3, 400, 'invalid_event_type', 'events[3].type'],
    [4, 200, undefined, undefined],
    [5, 400, 'invalid_price', 'events[5].items[0].price[0].value'],
    [6, 400, 'invalid_occurred_at', 'events[6].occurredAt'],
    [7, 400, 'validation_failed', 'events[7].user'],
    [8, 200, undefined, undefined],
    [9, 400, 'invalid_currency', 'events[9].items[0].price[0].currency'],
    [10, 400, 'validation_failed', 'events[10].type'],
    [11, 400, 'unknown_event_kind', 'events[11].kind'],
    [12, 400, 'validation_failed', 'events[12]'],
  ])
  assert.match(results[1]?.error?.message ?? '', /use custom, product-view, add-to-cart, purchase/)
  assert.match(results[10]?.error?.message ?? '', /^events\[10\]\.type: is required$/)
  assert.match(results[11]?.error?.message ?? '', /^events\[11\]\.kind: is required; use custom/)
  assert.match(results[12]?.error?.message ?? '', /must be an object/)
  const stored = await deps.db
    .selectFrom('events')
    .select(['kind', 'type'])
    .where('company_id', '=', companyIdOf(company))
    .orderBy('id')
    .execute()
  assert.deepEqual(stored, [
    { kind: 'custom', type: 'Order Shipped' },
    { kind: 'product_view', type: 'product_view' },
    { kind: 'add_to_cart', type: 'add_to_cart' },
    { kind: 'purchase', type: 'purchase' },
  ])
  assert.equal(await countRows(deps, 'domain_events', companyIdOf(company)), 4)
})

test('a batch of 1,000 events is one request; 1,001 is refused whole', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const events = Array.from({ length: 1000 }, (_, i) => ({
    kind: i % 2 === 0 ? 'custom' : 'product-view',
    type: 'Page Viewed',
    properties: { n: i },
    items: [item(`p${i % 7}`)],
    user: { externalIdentifiers: { clientUserId: `u-${i % 50}` } },
  }))
  const response = await post(app, company.auth, '/v1/events/batch', { events })
  assert.equal(response.status, 200)
  assert.ok((response.body.results as Result[]).every((r, i) => r.index === i && r.status === 200))
  const companyId = companyIdOf(company)
  assert.equal(await countRows(deps, 'events', companyId), 1000)
  assert.equal(await countRows(deps, 'users', companyId), 50)
  const written = await sql<{ n: number }>`select count(distinct xmin::text)::int as n from events where company_id = ${companyId}`.execute(deps.db)
  assert.equal(written.rows[0]?.n, 1, 'one transaction holds the whole batch')
  const tooMany = await post(app, company.auth, '/v1/events/batch', { events: [...events, events[0]] })
  assert.equal(tooMany.status, 400)
  assert.equal((tooMany.body.error as { field: string }).field, 'events')
  assert.equal(await countRows(deps, 'events', companyId), 1000)
})

test("each batch item needs its own endpoint's scope; a key with neither scope is refused", async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const events = [
    { kind: 'custom', type: 'Visit', user: { phone } },
    { kind: 'purchase', items: [item('p1')], user: { phone } },
  ]
  const eventsOnly = await createKey(app, company, ['events:write'])
  const response = await post(app, eventsOnly, '/v1/events/batch', { events })
  assert.equal(response.status, 200)
  const results = response.body.results as Result[]
  assert.deepEqual(results.map((r) => [r.status, r.error?.code]), [[200, undefined], [403, 'missing_scope']])
  assert.match(results[1]?.error?.message ?? '', /ecommerce:write/)
  assert.equal(await countRows(deps, 'events', companyIdOf(company)), 1)
  const neither = await createKey(app, company, ['subscriptions:write'])
  assert.equal((await post(app, neither, '/v1/events/batch', { events })).status, 403)
  assert.equal(await countRows(deps, 'events', companyIdOf(company)), 1)
})

test('repeats of an externalEventId inside a batch and across batches are answered 200 and stored once', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const event = { kind: 'custom', type: 'Order Shipped', externalEventId: 'ev-1', user: { phone } }
  const first = await post(app, company.auth, '/v1/events/batch', { events: [event, event, { ...event, externalEventId: 'ev-2' }] })
  assert.deepEqual((first.body.results as Result[]).map((r) => r.status), [200, 200, 200])
  const again = await post(app, company.auth, '/v1/events/batch', { events: [event] })
  assert.deepEqual((again.body.results as Result[]).map((r) => r.status), [200])
  assert.equal(await countRows(deps, 'events', companyIdOf(company)), 2)
})
