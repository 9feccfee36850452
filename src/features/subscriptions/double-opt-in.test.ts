import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { call, createSource } from '../../../test/helpers/subscribers.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import { confirmPendingOptIn } from './consent.service.ts'

const DAY = 24 * 60 * 60 * 1000

test('an opt-in request unanswered for 30 days lapses: "Y" confirms nothing and a new sign-up asks again', async (t) => {
  const clock = new ManualClock()
  const { app, database } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const companyId = decodeObjectId('Company', company.id) as number
  const source = await createSource(app, company, { doubleOptIn: true, channels: ['TEXT'] })
  const body = { user: { phone: '+17707651750' }, signUpSourceId: source }
  const status = async () =>
    (
      (await call(app, company, 'POST', '/v1/subscriptions', body)).body.subscriptionResponses as Array<{
        subscriptionCreationStatus: string
      }>
    )[0]?.subscriptionCreationStatus

  assert.equal(await status(), 'NEWLY_CREATED')
  clock.advance(29 * DAY)
  assert.equal(await status(), 'PREVIOUSLY_CREATED', 'still waiting after 29 days')
  clock.advance(2 * DAY)
  const user = await database.db.selectFrom('users').select('id').executeTakeFirstOrThrow()
  const late = await database.db
    .transaction()
    .execute((tx) => confirmPendingOptIn(tx, companyId, user.id, { now: clock.now() }))
  assert.deepEqual(late, [], 'a "Y" after 30 days confirms nothing')
  assert.equal(await status(), 'NEWLY_CREATED', 'the lapsed request is asked again')
  const jobs = await database.db.selectFrom('jobs').select('kind').execute()
  assert.equal(jobs.length, 2)
  const confirmed = await database.db
    .transaction()
    .execute((tx) => confirmPendingOptIn(tx, companyId, user.id, { now: clock.now() }))
  assert.deepEqual(confirmed, [
    { channel: 'TEXT', type: 'MARKETING', previous: 'PENDING', state: 'SUBSCRIBED' },
  ])
})
