import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { ManualClock, type buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'
import { optOut } from '../subscriptions/consent.service.ts'
import { findUserId } from '../users/identity.service.ts'
import { suppressionHash } from './dispatch.queries.ts'
import {
  companyNumber,
  eventTypesOf,
  historyOf,
  messageRow,
  setCompanySettings,
  subscribePhone,
  buildMessagingApp,
} from './messages.fixtures.ts'
import { queueMessage, type NewMessage } from './messages.service.ts'

// Wednesday 12:00 in New York: inside every sending window of a Georgia (770) number.
const NOON_EASTERN = '2026-03-04T17:00:00Z'
const PHONE = '+17707651750'

async function setup(t: Parameters<typeof buildTestApp>[0], start = NOON_EASTERN) {
  const clock = new ManualClock(start)
  const testApp = await buildMessagingApp(t, { clock })
  const company = await createCompany(testApp.app)
  const companyId = companyNumber(company)
  const db = testApp.deps.db
  const queue = async (fields: Partial<NewMessage> = {}) => {
    const userId = (await findUserId(db, companyId, { phone: fields.to ?? PHONE })) ?? null
    const message: NewMessage = {
      companyId,
      userId,
      channel: 'TEXT',
      type: 'MARKETING',
      origin: 'api',
      to: PHONE,
      body: 'Acme: 20% off today',
      ...fields,
    }
    return (await db.transaction().execute((tx) => queueMessage(tx, message, clock.now()))).id
  }
  return { ...testApp, clock, company, companyId, db, queue }
}

const stateOf = async (db: Parameters<typeof messageRow>[0], id: number) => (await messageRow(db, id)).state

test('a marketing text to a subscriber is handed to the sandbox once, then sent and delivered with its history and events', async (t) => {
  const { app, company, db, queue, startDispatcher } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const id = await queue()
  const dispatcher = startDispatcher()
  await waitFor(async () => (await stateOf(db, id)) === 'delivered')
  assert.equal(await dispatcher.sandbox.submissionCount(id), 1)
  const row = await messageRow(db, id)
  assert.equal(row.from_address, dispatcher.carrier.senderFor(row.company_id))
  assert.match(row.provider_id ?? '', /^SB[0-9a-f]{32}$/)
  assert.deepEqual([row.segments, row.encoding], [1, 'GSM-7'])
  assert.deepEqual(await historyOf(db, id), ['sending', 'sent', 'delivered'])
  assert.deepEqual(await eventTypesOf(db, id), ['sms.sent', 'sms.delivered'])
  const [sent] = (
    await sql<{ payload: { message: Record<string, unknown> } }>`
    select payload from domain_events where type = 'sms.sent'`.execute(db)
  ).rows
  assert.deepEqual(sent?.payload.message, {
    id,
    type: 'ONE_TIME',
    name: null,
    text: 'Acme: 20% off today',
    channel: 'TEXT',
  })
})

test('an opt-out between enqueue and dispatch suppresses the message with reason no_consent', async (t) => {
  const { app, company, companyId, db, clock, queue, startDispatcher } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const id = await queue()
  const userId = (await findUserId(db, companyId, { phone: PHONE })) as number
  await db
    .transaction()
    .execute((tx) =>
      optOut(tx, companyId, userId, {
        channel: 'TEXT',
        actor: { kind: 'keyword', id: 'STOP' },
        now: clock.now(),
      }),
    )
  const dispatcher = startDispatcher()
  await waitFor(async () => (await stateOf(db, id)) === 'suppressed')
  const row = await messageRow(db, id)
  assert.equal(row.suppressed_reason, 'no_consent')
  assert.equal(await dispatcher.sandbox.submissionCount(id), 0)
  assert.deepEqual(await eventTypesOf(db, id), [])
})

test('a transactional text needs a transactional consent; marketing consent alone does not carry it', async (t) => {
  const { app, company, db, queue, startDispatcher } = await setup(t)
  await subscribePhone(app, company, PHONE, 'MARKETING')
  const id = await queue({ type: 'TRANSACTIONAL' })
  startDispatcher()
  await waitFor(async () => (await stateOf(db, id)) === 'suppressed')
  assert.equal((await messageRow(db, id)).suppressed_reason, 'no_consent')
})

test('compliance replies go to numbers with no consent and no profile', async (t) => {
  const { db, queue, startDispatcher } = await setup(t)
  const id = await queue({
    userId: null,
    to: '+17707651799',
    origin: 'help',
    type: 'TRANSACTIONAL',
    compliance: true,
    body: 'Acme: help',
  })
  const dispatcher = startDispatcher()
  await waitFor(async () => (await stateOf(db, id)) === 'delivered')
  assert.equal(await dispatcher.sandbox.submissionCount(id), 1)
  assert.equal((await messageRow(db, id)).kind, 'HELP')
})

test('a number on the suppression list (a deleted person) is suppressed with reason deleted', async (t) => {
  const { app, company, companyId, db, clock, queue, startDispatcher } = await setup(t)
  await subscribePhone(app, company, PHONE)
  await db
    .insertInto('suppressed_addresses')
    .values({
      company_id: companyId,
      channel: 'TEXT',
      address_hash: suppressionHash(PHONE),
      reason: 'deleted',
      created_at: clock.now(),
    })
    .execute()
  const id = await queue()
  startDispatcher()
  await waitFor(async () => (await stateOf(db, id)) === 'suppressed')
  assert.equal((await messageRow(db, id)).suppressed_reason, 'deleted')
})

test('a country the company disabled after the enqueue is refused at dispatch', async (t) => {
  const { app, company, companyId, db, queue, startDispatcher } = await setup(t)
  await subscribePhone(app, company, PHONE)
  const id = await queue()
  await setCompanySettings(db, companyId, { smsCountries: ['GB'] })
  startDispatcher()
  await waitFor(async () => (await stateOf(db, id)) === 'suppressed')
  assert.equal((await messageRow(db, id)).suppressed_reason, 'country_not_enabled')
})

test('marketing at 22:00 local is held until 08:00 and released when the clock gets there; transactional goes at once', async (t) => {
  // 03:00 UTC on Thursday is 22:00 Wednesday in New York (EST).
  const { app, company, db, clock, queue, startDispatcher } = await setup(t, '2026-03-05T03:00:00Z')
  await subscribePhone(app, company, PHONE, 'MARKETING')
  await subscribePhone(app, company, PHONE, 'TRANSACTIONAL')
  const marketing = await queue()
  const transactional = await queue({ type: 'TRANSACTIONAL', body: 'Acme: your order shipped' })
  const dispatcher = startDispatcher()
  await waitFor(async () => (await stateOf(db, marketing)) === 'held')
  await waitFor(async () => (await stateOf(db, transactional)) === 'delivered')
  const held = await messageRow(db, marketing)
  assert.equal(held.hold_until?.toISOString(), '2026-03-05T13:00:00.000Z')
  assert.equal(await dispatcher.sandbox.submissionCount(marketing), 0)

  clock.set('2026-03-05T12:59:59Z')
  dispatcher.wake()
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(await stateOf(db, marketing), 'held', 'one second before the window opens it is still held')
  clock.set('2026-03-05T13:00:00Z')
  dispatcher.wake()
  await waitFor(async () => (await stateOf(db, marketing)) === 'delivered')
  assert.deepEqual(await historyOf(db, marketing), ['held', 'sending', 'sent', 'delivered'])
  assert.equal(await dispatcher.sandbox.submissionCount(marketing), 1)
})

test('the frequency cap holds with two dispatchers racing for the same subscribers', async (t) => {
  const { app, company, companyId, db, queue, startDispatcher } = await setup(t)
  await setCompanySettings(db, companyId, { frequencyCap: { limit: 2, windowHours: 8 } })
  const phones = [
    '+17707651750',
    '+17707651751',
    '+17707651752',
    '+17707651753',
    '+17707651754',
    '+17707651755',
  ]
  for (const phone of phones) await subscribePhone(app, company, phone)
  const skipped: number[] = []
  for (const phone of phones) {
    for (let i = 0; i < 8; i++) await queue({ to: phone, body: `Acme: offer ${i}` })
    skipped.push(await queue({ to: phone, body: 'Acme: skip fatigue', skipFatigue: true }))
  }
  // Batches of one, so the dispatchers' loops claim one person's consecutive messages at the same time.
  startDispatcher({ batchSize: 1, loops: 4 })
  startDispatcher({ batchSize: 1, loops: 4 })
  const done = async () => {
    const rows = await db
      .selectFrom('messages')
      .select(['to_address', 'state', 'suppressed_reason', 'skip_fatigue'])
      .execute()
    return rows.every((r) => r.state === 'suppressed' || r.state === 'delivered') ? rows : undefined
  }
  const rows = await waitFor(done, { timeoutMs: 15_000 })
  for (const phone of phones) {
    const capped = rows.filter((r) => r.to_address === phone && !r.skip_fatigue)
    assert.equal(capped.filter((r) => r.state === 'delivered').length, 2, `${phone}: two within the cap`)
    assert.equal(capped.filter((r) => r.suppressed_reason === 'frequency_cap').length, 6)
  }
  for (const id of skipped) assert.equal(await stateOf(db, id), 'delivered', 'skipFatigue bypasses the cap')
})
