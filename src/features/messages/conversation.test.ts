import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.ts'
import { createCompany, createKey } from '../../../test/helpers/company.ts'
import { createTextSource, liftRateLimits, signUpPhone, textIn } from '../../../test/helpers/inbound.ts'

const PHONE = '+17707651750'

interface Conversation {
  phone: string
  subscriberId: number | null
  entries: Array<{
    direction: string
    id: string
    at: string
    from: string | null
    to: string
    body: string
    kind: string
    state: string | null
  }>
}

test('the conversation with a number lists its texts and the replies to it, newest first, and pages back', async (t) => {
  const clock = new ManualClock('2026-03-04T17:00:00Z')
  const { app } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  await liftRateLimits(app, company)
  await createTextSource(app, company, { id: 'doi', welcomeText: '{{ company.name }}: welcome aboard!' })
  await signUpPhone(app, company, PHONE, 'doi')
  clock.advance(1000)
  const yes = await textIn(app, company, PHONE, 'Y')
  clock.advance(1000)
  const question = await textIn(app, company, PHONE, 'Where is my order?', { to: '+18885550100' })
  await textIn(app, company, '+14155550123', 'HELP')

  const get = async (query: string, headers = company.auth) => {
    const response = await app.inject({ method: 'GET', url: `/v1/conversations?${query}`, headers })
    return { status: response.statusCode, body: response.json<Conversation>() }
  }
  const all = await get('phone=%2B17707651750')
  assert.equal(all.status, 200)
  assert.deepEqual([all.body.phone, all.body.subscriberId], [PHONE, yes.subscriberId])
  assert.deepEqual(
    all.body.entries.map((e) => [e.direction, e.id, e.body, e.kind, e.state]),
    [
      ['inbound', question.id, 'Where is my order?', 'none', null],
      ['outbound', yes.replies[0]?.id, 'Acme: welcome aboard!', 'AUTO_RESPONSE', 'queued'],
      ['inbound', yes.id, 'Y', 'confirm', null],
    ],
  )
  assert.deepEqual([all.body.entries[0]?.from, all.body.entries[0]?.to], [PHONE, '+18885550100'])

  const national = await get('phone=(770)%20765-1750&limit=1')
  assert.deepEqual(
    national.body.entries.map((e) => e.id),
    [question.id],
    'a national number, limit 1',
  )
  const older = await get(`phone=%2B17707651750&before=${encodeURIComponent(all.body.entries[0]!.at)}`)
  assert.deepEqual(
    older.body.entries.map((e) => e.id),
    [yes.replies[0]?.id, yes.id],
  )
})

test('a conversation is read per company, needs messages:read, and a bad number is refused naming phone', async (t) => {
  const { app } = await buildTestApp(t)
  const a = await createCompany(app, 'A')
  const b = await createCompany(app, 'B')
  await textIn(app, a, PHONE, 'Where is my order?')
  const asB = await app.inject({
    method: 'GET',
    url: '/v1/conversations?phone=%2B17707651750',
    headers: b.auth,
  })
  assert.equal(asB.statusCode, 200)
  assert.deepEqual(asB.json(), { phone: PHONE, subscriberId: null, entries: [] })

  const noScope = await createKey(app, a, ['subscriptions:read'])
  const denied = await app.inject({
    method: 'GET',
    url: '/v1/conversations?phone=%2B17707651750',
    headers: noScope,
  })
  assert.equal(denied.statusCode, 403)
  const bad = await app.inject({ method: 'GET', url: '/v1/conversations?phone=555-1234', headers: a.auth })
  assert.equal(bad.statusCode, 400)
  assert.deepEqual(
    [
      bad.json<{ error: { code: string; field: string } }>().error.code,
      bad.json<{ error: { field: string } }>().error.field,
    ],
    ['invalid_phone', 'phone'],
  )
})
