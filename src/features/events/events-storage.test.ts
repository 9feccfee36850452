import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { companyIdOf, countRows, post } from './events-test-helpers.ts'

const phone = '+19148440001'

test('the same externalEventId sent 50 times at once is stored once and every request gets 200 {}', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const body = { type: 'Order Shipped', externalEventId: 'c0ffee00-0000-4000-8000-000000000001', properties: { n: 1 }, user: { phone } }
  const responses = await Promise.all(Array.from({ length: 50 }, () => post(app, company.auth, '/v1/events/custom', body)))
  assert.deepEqual(new Set(responses.map((r) => `${r.status} ${JSON.stringify(r.body)}`)), new Set(['200 {}']))
  const companyId = companyIdOf(company)
  assert.equal(await countRows(deps, 'events', companyId), 1)
  assert.equal(await countRows(deps, 'domain_events', companyId), 1, 'a repeat triggers nothing')
  const stats = await deps.db.selectFrom('user_event_stats').select('count').where('company_id', '=', companyId).execute()
  assert.deepEqual(stats, [{ count: 1 }], 'a repeat is not counted')
})

test('an externalEventId is unique per company for 30 days, then may be used again', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const { app, deps } = await buildTestApp(t, { clock })
  const [a, b] = [await createCompany(app, 'A'), await createCompany(app, 'B')]
  const body = { type: 'Visit', externalEventId: 'ev-42', user: { phone } }
  assert.equal((await post(app, a.auth, '/v1/events/custom', body)).status, 200)
  assert.equal((await post(app, b.auth, '/v1/events/custom', body)).status, 200)
  clock.advance(29 * 86_400_000)
  assert.equal((await post(app, a.auth, '/v1/events/custom', body)).status, 200)
  assert.equal(await countRows(deps, 'events', companyIdOf(a)), 1, 'a repeat within 30 days is not stored')
  assert.equal(await countRows(deps, 'events', companyIdOf(b)), 1, 'another company has ids of its own')
  clock.advance(2 * 86_400_000)
  assert.equal((await post(app, a.auth, '/v1/events/custom', body)).status, 200)
  assert.equal(await countRows(deps, 'events', companyIdOf(a)), 2, 'after 30 days the id is claimed anew')
})

test('an Idempotency-Key replays the first answer for the same body and refuses another body with 422', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const headers = { ...company.auth, 'idempotency-key': 'retry-7' }
  const send = (payload: object) => app.inject({ method: 'POST', url: '/v1/events/custom', headers, payload })
  const body = { type: 'Visit', user: { phone } }
  const first = await send(body)
  const repeat = await send(body)
  assert.equal(first.statusCode, 200)
  assert.equal(repeat.statusCode, 200)
  assert.equal(repeat.body, '{}')
  assert.equal(repeat.headers['idempotent-replayed'], 'true')
  const other = await send({ ...body, type: 'Purchase Made' })
  assert.equal(other.statusCode, 422)
  assert.equal(other.json<{ error: { code: string; field: string } }>().error.code, 'idempotency_key_reused')
  assert.equal(await countRows(deps, 'events', companyIdOf(company)), 1)
})

test('a 13-hour-old event is stored and counted, and its domain event is marked as not triggering', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const { app, deps } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const old = await post(app, company.auth, '/v1/events/custom', { type: 'Order Shipped', occurredAt: '2026-01-15T02:00:00Z', user: { phone } })
  const fresh = await post(app, company.auth, '/v1/events/custom', { type: 'Order Shipped', occurredAt: '2026-01-15T03:00:00Z', user: { phone } })
  assert.equal(old.status, 200)
  assert.equal(fresh.status, 200)
  const domain = await deps.db
    .selectFrom('domain_events')
    .select(['type', 'occurred_at', 'triggers', 'payload'])
    .where('company_id', '=', companyIdOf(company))
    .orderBy('id')
    .execute()
  assert.deepEqual(domain.map((d) => [d.type, d.occurred_at.toISOString(), d.triggers]), [
    ['custom_event', '2026-01-15T02:00:00.000Z', false],
    ['custom_event', '2026-01-15T03:00:00.000Z', true], // exactly 12 hours: still triggers
  ])
  assert.deepEqual((domain[0]?.payload as { event: unknown }).event, { type: 'Order Shipped', properties: {} })
  const stats = await deps.db.selectFrom('user_event_stats').select(['count', 'last_occurred_at']).where('company_id', '=', companyIdOf(company)).execute()
  assert.deepEqual(stats, [{ count: 2, last_occurred_at: new Date('2026-01-15T03:00:00Z') }])
})

test('concurrent single-event requests share transactions, and each is answered after its commit', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const responses = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      post(app, company.auth, '/v1/events/custom', { type: 'Page Viewed', properties: { i }, user: { externalIdentifiers: { clientUserId: `u${i % 10}` } } }),
    ),
  )
  assert.ok(responses.every((r) => r.status === 200))
  const companyId = companyIdOf(company)
  const rows = await sql<{ events: number; transactions: number }>`
    select count(*)::int as events, count(distinct xmin::text)::int as transactions from events where company_id = ${companyId}`.execute(deps.db)
  assert.equal(rows.rows[0]?.events, 100, 'every answered event is stored')
  assert.ok((rows.rows[0]?.transactions ?? 100) <= 20, `100 requests in ${rows.rows[0]?.transactions} transactions`)
  assert.equal(await countRows(deps, 'users', companyId), 10)
})

test('an event that fails to store fails alone: the others of its shared transaction are stored', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  // A fault the checks cannot see: the database refuses one row. The batch's transaction rolls back, and the
  // writer writes its events one by one.
  await sql`create function refuse_boom() returns trigger language plpgsql as $$
    begin if new.type = 'Boom' then raise exception 'refused for the test'; end if; return new; end $$`.execute(deps.db)
  await sql`create trigger refuse_boom before insert on events for each row execute function refuse_boom()`.execute(deps.db)
  const types = ['A', 'B', 'Boom', 'C', 'D']
  const responses = await Promise.all(types.map((type) => post(app, company.auth, '/v1/events/custom', { type, user: { phone } })))
  assert.deepEqual(responses.map((r) => r.status), [200, 200, 500, 200, 200])
  const batch = await post(app, company.auth, '/v1/events/batch', {
    events: types.map((type) => ({ kind: 'custom', type: `${type}` === 'Boom' ? 'Boom' : `batch ${type}`, user: { phone } })),
  })
  assert.deepEqual((batch.body.results as Array<{ status: number }>).map((r) => r.status), [200, 200, 500, 200, 200])
  const stored = await deps.db.selectFrom('events').select('type').where('company_id', '=', companyIdOf(company)).orderBy('id').execute()
  assert.deepEqual(stored.map((r) => r.type).sort(), ['A', 'B', 'C', 'D', 'batch A', 'batch B', 'batch C', 'batch D'])
  assert.equal(await countRows(deps, 'domain_events', companyIdOf(company)), 8)
})

test('rollups answer "last purchase value" and "viewed product P" per person, kept in the same transaction', async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const { app, deps } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const buy = (value: string, occurredAt: string, productId: string) =>
    post(app, company.auth, '/v1/events/ecommerce/purchase', {
      items: [{ productId, productVariantId: 'v', price: [{ value, currency: 'EUR' }], quantity: 2 }],
      occurredAt,
      user: { phone },
    })
  assert.equal((await buy('10.10', '2026-01-15T10:00:00Z', 'p1')).status, 200)
  assert.equal((await buy('99.99', '2026-01-14T10:00:00Z', 'p2')).status, 200) // older, sent later
  assert.equal((await post(app, company.auth, '/v1/events/ecommerce/product-view', { items: [{ productId: 'p1', productVariantId: 'v', price: 1 }], user: { phone } })).status, 200)
  const companyId = companyIdOf(company)
  const purchases = await deps.db
    .selectFrom('user_event_stats')
    .select(['count', 'last_value', 'last_currency', 'first_occurred_at'])
    .where('company_id', '=', companyId)
    .where('kind', '=', 'purchase')
    .executeTakeFirstOrThrow()
  assert.deepEqual(purchases, { count: 2, last_value: '20.2', last_currency: 'EUR', first_occurred_at: new Date('2026-01-14T10:00:00Z') })
  const products = await deps.db
    .selectFrom('user_product_stats')
    .select(['kind', 'product_id', 'count'])
    .where('company_id', '=', companyId)
    .orderBy('kind')
    .orderBy('product_id')
    .execute()
  assert.deepEqual(products, [
    { kind: 'product_view', product_id: 'p1', count: 1 },
    { kind: 'purchase', product_id: 'p1', count: 1 },
    { kind: 'purchase', product_id: 'p2', count: 1 },
  ])
})

test('"did X at least N times in the last D days" reads one index range, per person and per company', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const companyId = companyIdOf(company)
  // 50,000 events of 500 people over 90 days, 20 types: enough for the planner to choose as on a real table.
  await sql`insert into users (company_id, created_at, updated_at) select ${companyId}, now(), now() from generate_series(1, 500)`.execute(deps.db)
  await sql`
    insert into events (company_id, user_id, kind, type, occurred_at, received_at)
    select ${companyId}, u.id, 'custom', 'Type ' || (g % 20), now() - (g % 90) * interval '1 day', now()
    from generate_series(1, 50000) g
    join (select id, row_number() over (order by id) as n from users where company_id = ${companyId}) u on u.n = 1 + g % 500
  `.execute(deps.db)
  await sql`vacuum analyze events`.execute(deps.db)
  const userId = (await deps.db.selectFrom('users').select('id').where('company_id', '=', companyId).executeTakeFirstOrThrow()).id
  const plan = (query: ReturnType<typeof sql>) =>
    deps.db.transaction().execute(async (tx) => {
      const rows = await sql<{ 'QUERY PLAN': string }>`explain ${query}`.execute(tx)
      return rows.rows.map((r) => r['QUERY PLAN']).join('\n')
    })
  const since = new Date(Date.now() - 30 * 86_400_000)
  const perUser = await plan(sql`
    select count(*) >= 3 from events
    where company_id = ${companyId} and user_id = ${userId} and occurred_at >= ${since} and kind = 'custom' and type = 'Type 7'`)
  assert.match(perUser, /Index Scan using events_user/)
  const perCompany = await plan(sql`
    select user_id from events where company_id = ${companyId} and kind = 'custom' and type = 'Type 7' and occurred_at >= ${since}
    group by user_id having count(*) >= 3`)
  assert.match(perCompany, /Index (Only )?Scan (using|on) events_company_type/)
})
