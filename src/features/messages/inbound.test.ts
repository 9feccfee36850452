import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.ts'
import { createCompany, createKey } from '../../../test/helpers/company.ts'
import {
  companyNumber,
  createTextSource,
  setCompanySettings,
  queuedTo,
  signUpPhone,
  textConsents,
  textIn,
} from '../../../test/helpers/inbound.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'
import { helpReply, optOutConfirmation } from '../../compliance/keywords.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { jobHandlers } from '../../jobs.ts'
import { startWorker } from '../../queue/runner.ts'
import { buildPayload } from '../webhooks/payload.ts'

const PHONE = '+17707651750'
const OTHER = '+14155550123'
const STOPPED = optOutConfirmation('Acme')
const BOTH_UNSUBSCRIBED = ['MARKETING=UNSUBSCRIBED', 'TRANSACTIONAL=UNSUBSCRIBED']

test('STOP from a pending double opt-in ends the subscription and queues one confirmation citing the STOP', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const companyId = companyNumber(company)
  await createTextSource(app, company, { id: 'doi' })
  await signUpPhone(app, company, PHONE, 'doi')
  assert.deepEqual(await textConsents(database.db, companyId, PHONE), ['MARKETING=PENDING'])

  const answer = await textIn(app, company, PHONE, 'Stop!')
  assert.deepEqual([answer.intent, answer.action, answer.duplicate], ['opt_out', 'opt_out', false])
  assert.deepEqual(
    answer.replies.map((r) => [r.kind, r.body]),
    [['opt_out_confirmation', STOPPED]],
  )
  assert.deepEqual(await textConsents(database.db, companyId, PHONE), BOTH_UNSUBSCRIBED)
  assert.deepEqual(await queuedTo(database.db, companyId, PHONE), [`opt_out_confirmation: ${STOPPED}`])
  const message = await database.db
    .selectFrom('messages')
    .select(['id', 'compliance', 'kind', 'type', 'user_id'])
    .executeTakeFirstOrThrow()
  assert.deepEqual(
    { ...message, id: encodeObjectId('Message', message.id) },
    {
      id: answer.replies[0]?.id,
      compliance: true,
      kind: 'OPT_OUT',
      type: 'TRANSACTIONAL',
      user_id: answer.subscriberId,
    },
  )
  const ledger = await database.db
    .selectFrom('consent_ledger')
    .select(['type', 'new_state', 'reason', 'actor_kind', 'actor_id', 'message_id'])
    .where('new_state', '=', 'UNSUBSCRIBED')
    .orderBy('type')
    .execute()
  assert.deepEqual(ledger, [
    {
      type: 'MARKETING',
      new_state: 'UNSUBSCRIBED',
      reason: 'unsubscribe',
      actor_kind: 'keyword',
      actor_id: 'Stop!',
      message_id: answer.id,
    },
    {
      type: 'TRANSACTIONAL',
      new_state: 'UNSUBSCRIBED',
      reason: 'suppress',
      actor_kind: 'keyword',
      actor_id: 'Stop!',
      message_id: answer.id,
    },
  ])
  const stored = await database.db.selectFrom('inbound_messages').selectAll().executeTakeFirstOrThrow()
  assert.equal(encodeObjectId('InboundMessage', stored.id), answer.id)
  assert.deepEqual(
    [stored.from_address, stored.to_address, stored.body, stored.reply],
    [PHONE, answer.to, 'Stop!', 'opt_out_confirmation'],
  )
})

test('a number with no subscription gets one STOP confirmation and a suppression; repeats get none for 24 hours', async (t) => {
  const clock = new ManualClock('2026-03-02T15:00:00Z')
  const { app, database } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const companyId = companyNumber(company)

  assert.equal((await textIn(app, company, PHONE, 'STOP')).replies.length, 1)
  assert.deepEqual(await textConsents(database.db, companyId, PHONE), BOTH_UNSUBSCRIBED)
  clock.advance(60_000)
  assert.deepEqual((await textIn(app, company, PHONE, 'stop')).replies, [], 'a second STOP a minute later')
  assert.deepEqual((await textIn(app, company, PHONE, 'unsubscribe me')).replies, [])
  clock.advance(24 * 3_600_000)
  assert.deepEqual(
    (await textIn(app, company, PHONE, 'STOP')).replies.map((r) => r.body),
    [STOPPED],
    'a STOP 24 hours after the confirmation learns the opt-out holds',
  )
  assert.deepEqual(await queuedTo(database.db, companyId, PHONE), [
    `opt_out_confirmation: ${STOPPED}`,
    `opt_out_confirmation: ${STOPPED}`,
  ])
  const ledger = await database.db.selectFrom('consent_ledger').select('reason').execute()
  assert.deepEqual(
    ledger.map((row) => row.reason),
    ['suppress', 'suppress'],
    'repeats change no consent',
  )
})

test('Y confirms a pending double opt-in with the reply as evidence and queues the rendered welcome', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app, 'Acme Outfitters')
  const companyId = companyNumber(company)
  await createTextSource(app, company, {
    id: 'vip',
    welcomeText:
      "{{ company.name }}: You're in for {{ source.name }} texts! Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
  })
  await signUpPhone(app, company, PHONE, 'vip')

  const answer = await textIn(app, company, PHONE, 'y')
  const welcome =
    "Acme Outfitters: You're in for Source vip texts! Msg & data rates may apply. Reply HELP for help, STOP to cancel."
  assert.deepEqual([answer.intent, answer.action], ['confirm', 'confirm_double_opt_in'])
  assert.deepEqual(
    answer.replies.map((r) => [r.kind, r.body]),
    [['welcome', welcome]],
  )
  assert.deepEqual(await textConsents(database.db, companyId, PHONE), ['MARKETING=SUBSCRIBED'])
  assert.deepEqual(await queuedTo(database.db, companyId, PHONE), [`welcome: ${welcome}`])
  const confirm = await database.db
    .selectFrom('consent_ledger')
    .select(['reason', 'actor_kind', 'actor_id', 'message_id', 'sign_up_source_id'])
    .where('new_state', '=', 'SUBSCRIBED')
    .executeTakeFirstOrThrow()
  assert.deepEqual(confirm, {
    reason: 'confirm',
    actor_kind: 'keyword',
    actor_id: 'y',
    message_id: answer.id,
    sign_up_source_id: 'vip',
  })

  const again = await textIn(app, company, PHONE, 'Y')
  assert.deepEqual([again.action, again.replies], ['conversation', []], 'a second Y confirms nothing more')
})

test('the opt-in request job queues the source prompt once, and none once the consent stopped waiting', async (t) => {
  const { app, database, deps } = await buildTestApp(t)
  const company = await createCompany(app)
  const companyId = companyNumber(company)
  await createTextSource(app, company, {
    id: 'doi',
    optInRequestText: '{{ company.name }}: Reply Y to join {{ source.name }}. STOP to cancel.',
  })
  await signUpPhone(app, company, PHONE, 'doi')
  await signUpPhone(app, company, OTHER, 'doi')
  await textIn(app, company, OTHER, 'STOP')

  const worker = startWorker({
    db: deps.db,
    handlers: jobHandlers(deps),
    clock: deps.clock,
    log: deps.log,
    pollIntervalMs: 20,
  })
  t.after(() => worker.stop())
  await waitFor(async () => (await database.db.selectFrom('jobs').select('id').execute()).length === 0)
  assert.deepEqual(await queuedTo(database.db, companyId, PHONE), [
    'opt_in_request: Acme: Reply Y to join Source doi. STOP to cancel.',
  ])
  assert.deepEqual(
    await queuedTo(database.db, companyId, OTHER),
    [`opt_out_confirmation: ${STOPPED}`],
    'no prompt after STOP',
  )
  const prompt = await database.db
    .selectFrom('messages')
    .select(['compliance', 'kind'])
    .where('origin', '=', 'opt_in_request')
    .executeTakeFirstOrThrow()
  assert.deepEqual(prompt, { compliance: true, kind: 'CONFIRM_OPT_IN' })
})

test('HELP and INFO answer with the company help text, or the default built from name and contact', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const companyId = companyNumber(company)
  const first = await textIn(app, company, PHONE, 'help')
  assert.deepEqual(
    first.replies.map((r) => [r.kind, r.body]),
    [['help', helpReply('Acme')]],
  )
  await setCompanySettings(database.db, companyId, {
    helpText: 'Acme help: support@acme.example or 1-800-555-0100.',
  })
  const second = await textIn(app, company, PHONE, 'INFO?')
  assert.deepEqual(
    second.replies.map((r) => r.body),
    ['Acme help: support@acme.example or 1-800-555-0100. Msg & data rates may apply. Reply STOP to cancel.'],
  )
  assert.deepEqual(await textConsents(database.db, companyId, PHONE), [], 'HELP changes no consent')
})

test('START after STOP re-subscribes by the keyword and confirms; START from anyone else is conversation', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const companyId = companyNumber(company)
  await createTextSource(app, company, {
    id: 'single',
    doubleOptIn: false,
    welcomeText: '{{ company.name }}: welcome back! Reply STOP to cancel.',
  })
  await signUpPhone(app, company, PHONE, 'single')
  assert.equal((await textIn(app, company, PHONE, 'start')).action, 'conversation', 'already subscribed')
  await textIn(app, company, PHONE, 'STOP')

  const answer = await textIn(app, company, PHONE, 'UNSTOP')
  assert.deepEqual([answer.intent, answer.action], ['opt_in', 'resubscribe'])
  assert.deepEqual(
    answer.replies.map((r) => [r.kind, r.body]),
    [['resubscribe_confirmation', 'Acme: welcome back! Reply STOP to cancel.']],
  )
  assert.deepEqual(
    await textConsents(database.db, companyId, PHONE),
    ['MARKETING=SUBSCRIBED', 'TRANSACTIONAL=UNSUBSCRIBED'],
    'only the type the number once agreed to comes back',
  )
  const ledger = await database.db
    .selectFrom('consent_ledger')
    .select(['type', 'actor_id', 'message_id'])
    .where('reason', '=', 'opt_in')
    .execute()
  assert.deepEqual(ledger, [{ type: 'MARKETING', actor_id: 'UNSTOP', message_id: answer.id }])

  await textIn(app, company, OTHER, 'STOP')
  const stranger = await textIn(app, company, OTHER, 'START')
  assert.deepEqual(
    [stranger.action, stranger.replies],
    ['conversation', []],
    "START after a stranger's STOP is no consent",
  )
  assert.deepEqual(await textConsents(database.db, companyId, OTHER), BOTH_UNSUBSCRIBED)
})

test('a text that is no keyword is stored in the conversation and raises sms.inbound_message', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const answer = await textIn(app, company, PHONE, "Where's my order? Can't stop checking 😅", {
    to: '+18885550100',
  })
  assert.deepEqual([answer.intent, answer.action, answer.replies], ['none', 'conversation', []])
  const event = await database.db
    .selectFrom('domain_events')
    .selectAll()
    .where('type', '=', 'sms.inbound_message')
    .executeTakeFirstOrThrow()
  const payload = buildPayload({
    registeredType: event.type,
    event: { type: event.type, userId: event.user_id, occurredAt: event.occurred_at, payload: event.payload },
    company: { id: companyNumber(company), name: 'Acme' },
  })
  assert.deepEqual(payload.subscriber, { external_id: answer.subscriberId, phone: PHONE })
  assert.deepEqual(payload.message, {
    type: 'TYPE_CONVERSATION',
    text: "Where's my order? Can't stop checking 😅",
    to_phone: '+18885550100',
  })
  assert.deepEqual(await textConsents(database.db, companyNumber(company), PHONE), [])
})

test('a carrier repeating an inbound providerId is acted on once', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const first = await textIn(app, company, PHONE, 'STOP', { providerId: 'SM123' })
  const repeat = await textIn(app, company, PHONE, 'STOP', { providerId: 'SM123' })
  assert.deepEqual([repeat.id, repeat.duplicate, repeat.replies], [first.id, true, []])
  assert.equal((await database.db.selectFrom('inbound_messages').select('id').execute()).length, 1)
  assert.equal((await queuedTo(database.db, companyNumber(company), PHONE)).length, 1)
})

test('revoke-all off: STOP ends marketing only and says so; a second STOP then ends the rest', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const companyId = companyNumber(company)
  await setCompanySettings(database.db, companyId, { revokeAll: false })
  await createTextSource(app, company, { id: 'm', doubleOptIn: false })
  await createTextSource(app, company, { id: 't', doubleOptIn: false, type: 'TRANSACTIONAL' })
  await signUpPhone(app, company, PHONE, 'm')
  await signUpPhone(app, company, PHONE, 't')

  assert.deepEqual(
    (await textIn(app, company, PHONE, 'STOP')).replies.map((r) => r.body),
    [optOutConfirmation('Acme', 'marketing')],
  )
  assert.deepEqual(await textConsents(database.db, companyId, PHONE), [
    'MARKETING=UNSUBSCRIBED',
    'TRANSACTIONAL=SUBSCRIBED',
  ])
  assert.deepEqual(
    (await textIn(app, company, PHONE, 'STOP')).replies.map((r) => r.body),
    [STOPPED],
  )
  assert.deepEqual(await textConsents(database.db, companyId, PHONE), BOTH_UNSUBSCRIBED)
})

test("one company's STOP leaves another company's subscriber of the same number alone", async (t) => {
  const { app, database } = await buildTestApp(t)
  const a = await createCompany(app, 'A')
  const b = await createCompany(app, 'B')
  await createTextSource(app, a, { id: 's', doubleOptIn: false })
  await signUpPhone(app, a, PHONE, 's')
  await textIn(app, b, PHONE, 'STOP')
  assert.deepEqual(await textConsents(database.db, companyNumber(a), PHONE), ['MARKETING=SUBSCRIBED'])
  assert.deepEqual(await queuedTo(database.db, companyNumber(a), PHONE), [])
})

test('bad input is refused naming the field, and nothing is stored; the scope is messages:write', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const cases: Array<[payload: object, field: string, code: string]> = [
    [{ from: '555-1234', body: 'STOP' }, 'from', 'invalid_phone'],
    [{ from: 'call me', body: 'STOP' }, 'from', 'invalid_phone'],
    [{ from: PHONE, to: 'abc', body: 'STOP' }, 'to', 'invalid_phone'],
    [{ from: PHONE }, 'body', 'validation_failed'],
    [{ from: PHONE, body: 'STOP', form: 'x' }, 'form', 'validation_failed'],
    [{ from: PHONE, body: 'x'.repeat(1601) }, 'body', 'validation_failed'],
  ]
  for (const [payload, field, code] of cases) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/sandbox/inbound',
      headers: company.auth,
      payload,
    })
    assert.equal(response.statusCode, 400, response.body)
    const { error } = response.json<{ error: { code: string; field: string; message: string } }>()
    assert.deepEqual([error.code, error.field], [code, field], response.body)
    assert.match(error.message, new RegExp(`^${field}: `))
  }
  const readOnly = await createKey(app, company, ['messages:read'])
  const denied = await app.inject({
    method: 'POST',
    url: '/v1/sandbox/inbound',
    headers: readOnly,
    payload: { from: PHONE, body: 'STOP' },
  })
  assert.equal(denied.statusCode, 403)
  assert.equal((await database.db.selectFrom('inbound_messages').select('id').execute()).length, 0)
  assert.equal((await database.db.selectFrom('users').select('id').execute()).length, 0)
})
