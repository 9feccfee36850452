import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany, type TestCompany } from '../../../test/helpers/company.ts'
import { call, createSource } from '../../../test/helpers/subscribers.ts'
import type { App } from '../../app.ts'

const PHONE = '+17707651750'
const EMAIL = 'jane@example.com'

async function profileOf(app: App, company: TestCompany, query: string) {
  const users = (await call(app, company, 'GET', `/v1/users?${query}`)).body.users as Array<
    Record<string, unknown>
  >
  assert.equal(users.length, 1, JSON.stringify(users))
  return users[0] as {
    id: string
    externalId: number
    identifiers: { phones: string[]; emails: string[]; clientUserIds: string[] }
    attributes: Record<string, string>
    consents: Array<{ channel: string; type: string; state: string }>
    ledger: Array<{ reason: string; actor: { kind: string }; newState: string; recordedUnder: string }>
    mergedFrom: string[]
  }
}

test('attributes and events sent for an email before the phone is known end on the subscriber once the Identity API links them', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company, { channels: ['TEXT'] })
  const attributes = await call(app, company, 'POST', '/v1/attributes/custom', {
    properties: { tier: 'gold', age: '24' },
    user: { email: EMAIL },
  })
  assert.equal(attributes.status, 200, attributes.raw)
  const event = await call(app, company, 'POST', '/v1/events/custom', {
    type: 'Quiz finished',
    user: { email: EMAIL },
  })
  assert.equal(event.status, 200, event.raw)
  const subscribed = await call(app, company, 'POST', '/v1/subscriptions', {
    user: { phone: PHONE },
    signUpSourceId: source,
  })
  assert.equal(subscribed.status, 202, subscribed.raw)
  assert.deepEqual((await call(app, company, 'GET', `/v1/attributes/custom?phone=%2B17707651750`)).body, [])

  const linked = await call(app, company, 'POST', '/v1/identity-resolution/user-identifiers', {
    phone: PHONE,
    email: EMAIL,
    clientUserId: 'u-1',
  })
  assert.equal(linked.status, 202, linked.raw)
  assert.deepEqual(linked.body, {})

  const profile = await profileOf(app, company, `phone=%2B17707651750`)
  assert.equal((await profileOf(app, company, 'clientUserId=u-1')).id, profile.id)
  assert.deepEqual(profile.identifiers.phones, [PHONE])
  assert.deepEqual(profile.identifiers.emails, [EMAIL])
  assert.deepEqual(profile.identifiers.clientUserIds, ['u-1'])
  assert.deepEqual(profile.attributes, { age: '24', tier: 'gold' })
  assert.deepEqual(
    profile.consents.map((c) => [c.channel, c.type, c.state]),
    [['TEXT', 'MARKETING', 'SUBSCRIBED']],
  )
  assert.equal(profile.mergedFrom.length, 1)
  assert.deepEqual((await call(app, company, 'GET', `/v1/attributes/custom?phone=%2B17707651750`)).body, [
    { name: 'age', value: '24' },
    { name: 'tier', value: 'gold' },
  ])
  const events = await database.db.selectFrom('events').select(['user_id', 'type']).execute()
  assert.deepEqual(events, [{ user_id: profile.externalId, type: 'Quiz finished' }])
  const eligible = await call(app, company, 'GET', '/v1/subscriptions?phone=%2B17707651750')
  assert.deepEqual(eligible.body, {
    subscriptionEligibilities: [
      { subscription: { type: 'MARKETING', channel: 'TEXT' }, eligibility: { isEligible: true } },
    ],
  })
  // The subscriber's own ledger row was written under the profile that was merged away, and still shows.
  assert.deepEqual(
    profile.ledger.map((l) => [l.reason, l.newState]),
    [
      ['subscribe', 'SUBSCRIBED'],
      ['merge', 'SUBSCRIBED'],
    ],
  )
  // The merged id still leads to the person.
  const merged = await call(app, company, 'GET', `/v1/users/${profile.mergedFrom[0]}`)
  assert.equal(merged.body.id, profile.id)
  const record = await database.db.selectFrom('user_merges').selectAll().executeTakeFirstOrThrow()
  assert.equal(record.survivor_id, profile.externalId)
})

for (const optedOut of ['older', 'newer'] as const) {
  test(`merging two profiles keeps the opt-out of the ${optedOut} one, and creates no consent`, async (t) => {
    const { app, database } = await buildTestApp(t)
    const company = await createCompany(app)
    const source = await createSource(app, company)
    const out = { phone: '+14045550123', email: EMAIL }
    const subscribedUser = { phone: PHONE }
    const [first, second] = optedOut === 'older' ? [out, subscribedUser] : [subscribedUser, out]
    await call(app, company, 'POST', '/v1/subscriptions', { user: first, signUpSourceId: source })
    await call(app, company, 'POST', '/v1/subscriptions', { user: second, signUpSourceId: source })
    await call(app, company, 'POST', '/v1/subscriptions/unsubscribe', {
      user: { phone: out.phone },
      subscriptions: [{ type: 'MARKETING', channel: 'TEXT' }],
    })
    const eventsBefore = await database.db.selectFrom('domain_events').select('type').execute()

    const linked = await call(app, company, 'POST', '/v1/identity-resolution/user-identifiers', {
      phone: PHONE,
      email: EMAIL,
    })
    assert.equal(linked.status, 202, linked.raw)

    const profile = await profileOf(app, company, `email=${EMAIL}`)
    assert.deepEqual(profile.identifiers.phones.sort(), [out.phone, PHONE].sort())
    const state = Object.fromEntries(profile.consents.map((c) => [`${c.channel} ${c.type}`, c.state]))
    assert.deepEqual(state, { 'TEXT MARKETING': 'UNSUBSCRIBED', 'EMAIL MARKETING': 'SUBSCRIBED' })
    const eligible = await call(app, company, 'GET', `/v1/subscriptions?phone=%2B17707651750`)
    assert.deepEqual(eligible.body, {
      subscriptionEligibilities: [
        { subscription: { type: 'MARKETING', channel: 'TEXT' }, eligibility: { isEligible: false } },
      ],
    })
    // Only the survivor's own changes and merge rows; no merge row turns anything into SUBSCRIBED that was not.
    const mergeRows = profile.ledger.filter((l) => l.actor.kind === 'merge')
    assert.ok(mergeRows.every((l) => l.reason === 'merge'))
    const newEvents = (await database.db.selectFrom('domain_events').select('type').execute()).slice(
      eventsBefore.length,
    )
    assert.ok(!newEvents.some((e) => e.type.endsWith('.subscribed')), JSON.stringify(newEvents))
  })
}
