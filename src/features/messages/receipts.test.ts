import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { sql } from 'kysely'
import { ManualClock } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'
import { SandboxCarrier, type SandboxReceiptRecord } from '../../carriers/sandbox.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import type { Job } from '../../queue/runner.ts'
import { claimAndDecide } from './dispatch.service.ts'
import { expireReceiptsJob, RECEIPT_EXPIRY_JOB, RECEIPT_WAIT_MS } from './expire.job.ts'
import {
  eventTypesOf,
  historyOf,
  messageRow,
  subscribePhone,
  buildMessagingApp,
} from './messages.fixtures.ts'
import { applyReceipts } from './receipts.service.ts'

const NOON_EASTERN = '2026-03-04T17:00:00Z'
const PHONE = '+17707651750'
const HOUR = 3_600_000

/** A company with one subscriber and a message sent to the sandbox, whose own receipt is an hour away. */
async function sentMessage(
  t: TestContext,
  options: { receiptDelayMs?: number; outcomes?: { failed: number } } = {},
) {
  const clock = new ManualClock(NOON_EASTERN)
  const { app, deps, startDispatcher } = await buildMessagingApp(t, { clock })
  const company = await createCompany(app)
  await subscribePhone(app, company, PHONE)
  const response = await app.inject({
    method: 'POST',
    url: '/v1/text/send',
    headers: company.auth,
    payload: {
      to: PHONE,
      subscriptionType: 'MARKETING',
      body: 'Sale https://acme.example/p/1',
      useShortLinks: true,
      messageName: 'Sale',
    },
  })
  assert.equal(response.statusCode, 200, response.body)
  const id = decodeObjectId('Message', response.json<{ messageId: string }>().messageId) as number
  const dispatcher = startDispatcher({
    receiptDelayMs: options.receiptDelayMs ?? HOUR,
    ...(options.outcomes ? { outcomes: options.outcomes } : {}),
  })
  await waitFor(async () => (await messageRow(deps.db, id)).state === 'sent')
  const row = await messageRow(deps.db, id)
  const receipt = (status: SandboxReceiptRecord['receipt_status'], at: string): SandboxReceiptRecord => ({
    message_id: id,
    provider_id: row.provider_id as string,
    receipt_status: status,
    receipt_due_at: at,
  })
  const apply = (records: SandboxReceiptRecord[]) =>
    deps.db
      .transaction()
      .execute((tx) => applyReceipts(tx, dispatcher.sandbox.parseReceipts(records), clock.now()))
  return { app, db: deps.db, clock, id, dispatcher, receipt, apply }
}

test('duplicated, reversed and late receipts never move a message backwards, nor announce it twice', async (t) => {
  const { db, id, receipt, apply } = await sentMessage(t)
  assert.deepEqual(
    await apply([receipt('delivered', '2026-03-04T17:00:05Z'), receipt('delivered', '2026-03-04T17:00:05Z')]),
    { applied: 1, unknownIds: [] },
  )
  assert.deepEqual(await apply([receipt('delivered', '2026-03-04T17:00:05Z')]), {
    applied: 0,
    unknownIds: [],
  })
  assert.deepEqual(await apply([receipt('undelivered', '2026-03-04T17:00:01Z')]), {
    applied: 0,
    unknownIds: [],
  })
  assert.deepEqual(await apply([receipt('failed', '2026-03-07T17:00:00Z')]), { applied: 0, unknownIds: [] })
  assert.equal((await messageRow(db, id)).state, 'delivered')
  assert.deepEqual(await historyOf(db, id), ['sending', 'sent', 'delivered'])
  assert.deepEqual(await eventTypesOf(db, id), ['sms.sent', 'sms.delivered'])
})

test('of two final receipts in one batch the earliest stands, whatever their order of arrival', async (t) => {
  const { db, id, receipt, apply } = await sentMessage(t)
  await apply([receipt('delivered', '2026-03-04T17:00:09Z'), receipt('undelivered', '2026-03-04T17:00:02Z')])
  assert.equal((await messageRow(db, id)).state, 'undelivered')
  assert.deepEqual(await eventTypesOf(db, id), ['sms.sent', 'sms.failed'])
  const [event] = (
    await sql<{ payload: { receipt: { status: string } } }>`
    select payload from domain_events where type = 'sms.failed'`.execute(db)
  ).rows
  assert.equal(event?.payload.receipt.status, 'undelivered')
})

test('receipts for unknown message ids are reported and dropped', async (t) => {
  const { db, id, receipt, apply } = await sentMessage(t)
  const stray = { ...receipt('delivered', '2026-03-04T17:00:05Z'), message_id: id + 999 }
  assert.deepEqual(await apply([stray]), { applied: 0, unknownIds: [id + 999] })
  assert.equal((await messageRow(db, id)).state, 'sent')
})

test('a sent message with no final receipt becomes unknown after 72 h, and a later receipt still moves it on', async (t) => {
  const { db, clock, id, receipt, apply } = await sentMessage(t, { receiptDelayMs: 100 * HOUR })
  const runExpiry = (at: Date) =>
    db.transaction().execute((tx) =>
      expireReceiptsJob({ id: 0, kind: RECEIPT_EXPIRY_JOB, payload: {} } as Job, {
        tx,
        db,
        signal: new AbortController().signal,
        now: at,
      }),
    )
  const sentAt = (await messageRow(db, id)).sent_at as Date
  await runExpiry(new Date(sentAt.getTime() + RECEIPT_WAIT_MS - 1))
  assert.equal((await messageRow(db, id)).state, 'sent')
  await runExpiry(new Date(sentAt.getTime() + RECEIPT_WAIT_MS))
  assert.equal((await messageRow(db, id)).state, 'unknown')
  const jobs = await db.selectFrom('jobs').select('kind').where('kind', '=', RECEIPT_EXPIRY_JOB).execute()
  assert.ok(jobs.length >= 1, 'the job stays scheduled')
  clock.advance(80 * HOUR)
  await apply([receipt('delivered', '2026-03-08T00:00:00Z')])
  assert.deepEqual(await historyOf(db, id), ['sending', 'sent', 'unknown', 'delivered'])
})

test('the sandbox produces receipts with the configured outcome', async (t) => {
  const { db, clock, id, dispatcher } = await sentMessage(t, {
    receiptDelayMs: 2000,
    outcomes: { failed: 1 },
  })
  clock.advance(2000)
  dispatcher.wake()
  await waitFor(async () => (await messageRow(db, id)).state === 'failed')
  assert.deepEqual(await eventTypesOf(db, id), ['sms.sent', 'sms.failed'])
})

test('a short link redirects with 302 and records the click against the message and person', async (t) => {
  const { app, db, id } = await sentMessage(t)
  const link = await db
    .selectFrom('short_links')
    .selectAll()
    .where('message_id', '=', id)
    .executeTakeFirstOrThrow()
  const click = await app.inject({
    method: 'GET',
    url: `/s/${link.code}`,
    headers: { 'user-agent': 'Phone/1.0' },
  })
  assert.equal(click.statusCode, 302)
  assert.equal(click.headers.location, 'https://acme.example/p/1')
  const clicks = await db.selectFrom('link_clicks').selectAll().execute()
  assert.deepEqual(
    clicks.map((c) => [c.message_id, c.user_id, c.user_agent]),
    [[id, link.user_id, 'Phone/1.0']],
  )
  assert.ok(link.user_id !== null)
  const [event] = (
    await sql<{ type: string; user_id: number; payload: { link: { url: string }; message: { id: number } } }>`
    select type, user_id, payload from domain_events where type = 'sms.message_link_click'`.execute(db)
  ).rows
  assert.deepEqual(
    [event?.user_id, event?.payload.link.url, event?.payload.message.id],
    [link.user_id, 'https://acme.example/p/1', id],
  )
  const unknown = await app.inject({ method: 'GET', url: '/s/nosuchcode1' })
  assert.equal(unknown.statusCode, 404)
})

test('a receipt that overtakes the record of its hand-off also records the message as sent', async (t) => {
  const clock = new ManualClock(NOON_EASTERN)
  const { app, deps } = await buildMessagingApp(t, { clock })
  const company = await createCompany(app)
  await subscribePhone(app, company, PHONE)
  const sent = await app.inject({
    method: 'POST',
    url: '/v1/text/send',
    headers: company.auth,
    payload: { to: PHONE, subscriptionType: 'MARKETING', body: 'Sale' },
  })
  const id = decodeObjectId('Message', sent.json<{ messageId: string }>().messageId) as number
  const sandbox = new SandboxCarrier({ db: deps.db, clock })
  const { toSend } = await deps.db
    .transaction()
    .execute((tx) =>
      claimAndDecide(tx, { carrier: sandbox, now: clock.now(), limit: 10, leaseMs: 60_000, maxAttempts: 10 }),
    )
  const [accepted] = await sandbox.send(toSend)
  assert.ok(accepted?.ok)
  assert.equal((await messageRow(deps.db, id)).state, 'sending')
  const receipts = sandbox.parseReceipts([
    {
      message_id: id,
      provider_id: accepted.providerId,
      receipt_status: 'delivered',
      receipt_due_at: NOON_EASTERN,
    },
  ])
  await deps.db.transaction().execute((tx) => applyReceipts(tx, receipts, clock.now()))
  const row = await messageRow(deps.db, id)
  assert.deepEqual([row.state, row.provider_id], ['delivered', accepted.providerId])
  assert.deepEqual(await historyOf(deps.db, id), ['sending', 'sent', 'delivered'])
  assert.deepEqual(await eventTypesOf(deps.db, id), ['sms.sent', 'sms.delivered'])
})
