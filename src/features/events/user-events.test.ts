import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.ts'
import { assertCrossCompanyDenied, createCompany, createKey } from '../../../test/helpers/company.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { companyIdOf, post } from './events-test-helpers.ts'

interface Page {
  events: Array<{ id: string; kind: string; type: string; occurredAt: string; properties: Record<string, unknown> }>
  cursor: string | null
  hasMore: boolean
}

test("a person's events are listed newest first, page by page, filtered by type and time", async (t) => {
  const clock = new ManualClock('2026-01-15T15:00:00Z')
  const { app, deps } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const user = { email: 'pat@example.com' }
  for (let hour = 0; hour < 5; hour++) {
    const occurredAt = `2026-01-15T0${hour}:00:00Z`
    assert.equal((await post(app, company.auth, '/v1/events/custom', { type: hour % 2 ? 'Odd' : 'Even', properties: { hour }, occurredAt, user })).status, 200)
  }
  await post(app, company.auth, '/v1/events/ecommerce/purchase', {
    items: [{ productId: 'p1', productVariantId: 'v1', price: [{ value: 5 }] }], occurredAt: '2026-01-14T23:00:00Z', user,
  })
  const row = await deps.db.selectFrom('users').select('id').where('company_id', '=', companyIdOf(company)).executeTakeFirstOrThrow()
  const url = `/v1/users/${encodeObjectId('User', row.id)}/events`
  const get = async (query: string) => {
    const response = await app.inject({ method: 'GET', url: `${url}${query}`, headers: company.auth })
    assert.equal(response.statusCode, 200, response.body)
    return response.json<Page>()
  }
  const first = await get('?limit=4')
  assert.deepEqual(first.events.map((e) => e.occurredAt), ['2026-01-15T04:00:00.000Z', '2026-01-15T03:00:00.000Z', '2026-01-15T02:00:00.000Z', '2026-01-15T01:00:00.000Z'])
  assert.equal(first.hasMore, true)
  assert.deepEqual(first.events[0]?.properties, { hour: 4 })
  const second = await get(`?limit=4&cursor=${first.cursor}`)
  assert.deepEqual(second.events.map((e) => [e.kind, e.type]), [['custom', 'Even'], ['purchase', 'purchase']])
  assert.deepEqual([second.hasMore, second.cursor], [false, null])
  assert.deepEqual((await get('?type=Odd')).events.map((e) => e.occurredAt), ['2026-01-15T03:00:00.000Z', '2026-01-15T01:00:00.000Z'])
  assert.equal((await get('?since=2026-01-15T02:00:00Z')).events.length, 3)
  const readOnly = await createKey(app, company, ['events:read'])
  assert.equal((await app.inject({ method: 'GET', url, headers: readOnly })).statusCode, 200)
  const noScope = await createKey(app, company, ['ecommerce:write'])
  assert.equal((await app.inject({ method: 'GET', url, headers: noScope })).statusCode, 403)
  const badCursor = await app.inject({ method: 'GET', url: `${url}?cursor=nonsense`, headers: company.auth })
  assert.equal(badCursor.statusCode, 400)
  assert.equal(badCursor.json<{ error: { code: string } }>().error.code, 'invalid_cursor')
  const unknown = await app.inject({ method: 'GET', url: `/v1/users/${encodeObjectId('User', 999_999)}/events`, headers: company.auth })
  assert.equal(unknown.statusCode, 404)
  assert.equal((await app.inject({ method: 'GET', url: '/v1/users/not-an-id/events', headers: company.auth })).statusCode, 404)
})

test('events sent for an email before its phone is known are found on the merged subscriber afterwards', async (t) => {
  const { app, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const email = 'early.bird@example.com'
  const phone = '+19148440001'
  assert.equal((await post(app, company.auth, '/v1/events/custom', { type: 'Viewed Pricing', user: { email } })).status, 200)
  assert.equal((await post(app, company.auth, '/v1/events/ecommerce/add-to-cart', {
    items: [{ productId: 'p1', productVariantId: 'v1', price: 3 }], user: { email },
  })).status, 200)
  assert.equal((await post(app, company.auth, '/v1/events/custom', { type: 'Called Support', user: { phone } })).status, 200)
  const before = await deps.db.selectFrom('users').select('id').where('company_id', '=', companyIdOf(company)).orderBy('id').execute()
  assert.equal(before.length, 2, 'the email and the phone are two profiles until something links them')
  // The brand learns both belong to one person: an event naming both merges the profiles.
  assert.equal((await post(app, company.auth, '/v1/events/custom', { type: 'Signed Up', user: { email, phone } })).status, 200)
  const [survivor, merged] = before.map((row) => row.id) as [number, number]
  const page = await app.inject({ method: 'GET', url: `/v1/users/${encodeObjectId('User', survivor)}/events`, headers: company.auth })
  assert.deepEqual(
    page.json<Page>().events.map((e) => e.type).sort(),
    ['Called Support', 'Signed Up', 'Viewed Pricing', 'add_to_cart'],
  )
  const viaMerged = await app.inject({ method: 'GET', url: `/v1/users/${encodeObjectId('User', merged)}/events`, headers: company.auth })
  assert.equal(viaMerged.json<Page>().events.length, 4, "the merged profile's id shows the survivor's events")
  const stats = await deps.db.selectFrom('user_event_stats').select(['user_id', 'type', 'count']).where('company_id', '=', companyIdOf(company)).execute()
  assert.ok(stats.every((s) => s.user_id === survivor), 'the rollups moved too')
  assert.equal(stats.reduce((sum, s) => sum + s.count, 0), 4)
  const events = await deps.db.selectFrom('events').select('user_id').distinct().where('company_id', '=', companyIdOf(company)).execute()
  assert.deepEqual(events, [{ user_id: survivor }])
})

test("a key of company A never reads company B's events", async (t) => {
  const { app, deps } = await buildTestApp(t)
  const [a, b] = [await createCompany(app, 'A'), await createCompany(app, 'B')]
  await post(app, b.auth, '/v1/events/custom', { type: 'Secret Thing', properties: { code: 'b-secret-42' }, user: { email: 'b.person@example.com' } })
  const row = await deps.db.selectFrom('users').select('id').where('company_id', '=', companyIdOf(b)).executeTakeFirstOrThrow()
  await assertCrossCompanyDenied(
    app,
    a,
    [
      { method: 'GET', url: `/v1/users/${encodeObjectId('User', row.id)}/events` },
      { method: 'GET', url: `/v1/users/${encodeObjectId('User', row.id)}/events?type=Secret%20Thing` },
    ],
    ['b-secret-42', 'Secret Thing', 'b.person@example.com'],
  )
})
