// Test fixtures for messaging: a subscribed phone made through the real API, a dispatcher on the test app's
// database and clock, and readers of what was stored. Used by the messaging tests only.
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { sql, type Kysely } from 'kysely'
import type { App } from '../../app.ts'
import { SandboxCarrier, type OutcomeMix } from '../../carriers/sandbox.ts'
import type { Clock } from '../../clock.ts'
import type { CompanySettings, Database } from '../../db/schema.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import { buildTestApp, type TestAppOptions } from '../../../test/helpers/build-test-app.ts'
import { stateHistory } from './messages.queries.ts'
import {
  startMessageDispatcher,
  type MessageDispatcher,
  type MessageDispatcherOptions,
} from './dispatcher.ts'

/** A company as test/helpers/company.ts makes it. */
interface Company {
  id: string
  auth: { authorization: string }
}

/** The numeric id of a company made through the admin API. */
export function companyNumber(company: Company): number {
  const id = decodeObjectId('Company', company.id)
  assert.ok(id)
  return id
}

/** Signs `phone` up through the API with single opt-in, for MARKETING (default) or TRANSACTIONAL texts. */
export async function subscribePhone(
  app: App,
  company: Company,
  phone: string,
  type: 'MARKETING' | 'TRANSACTIONAL' = 'MARKETING',
): Promise<void> {
  const sourceId = `src-${type.toLowerCase()}`
  const source = await app.inject({
    method: 'POST',
    url: '/v1/sign-up-sources',
    headers: company.auth,
    payload: {
      id: sourceId,
      name: `${type} source`,
      channels: ['TEXT'],
      type,
      doubleOptIn: false,
      disclosure:
        'By signing up you agree to receive recurring automated marketing texts. Consent is not a condition of purchase. Msg & data rates may apply. Reply STOP to cancel.',
    },
  })
  // 400: the source exists already (a second phone of the same test).
  assert.ok(
    source.statusCode === 201 ||
      source.json<{ error: { code: string } }>().error.code === 'sign_up_source_exists',
    source.body,
  )
  const response = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: company.auth,
    payload: { user: { phone }, signUpSourceId: sourceId, singleOptIn: true },
  })
  assert.equal(response.statusCode, 202, response.body)
}

/** Replaces some of a company's settings (the admin API exposes only rate limits). */
export async function setCompanySettings(
  db: Kysely<Database>,
  companyId: number,
  settings: CompanySettings,
): Promise<void> {
  await sql`update companies set settings = settings || ${JSON.stringify(settings)}::jsonb where id = ${companyId}`.execute(
    db,
  )
}

/** Options of a test dispatcher: the dispatcher's own, and the sandbox's receipt delay (default 0) and outcomes. */
export type TestDispatcherOptions = Partial<MessageDispatcherOptions> & {
  receiptDelayMs?: number
  outcomes?: OutcomeMix
}

/** A test dispatcher and the sandbox carrier it hands messages to. */
export type TestDispatcher = MessageDispatcher & { sandbox: SandboxCarrier }

/**
 * The real app (buildTestApp) plus `startDispatcher`, which starts message dispatchers on its database and clock.
 * They are stopped before the database is dropped: after-hooks run in the order they were registered.
 */
export async function buildMessagingApp(t: Pick<TestContext, 'after'>, options: TestAppOptions = {}) {
  const started: MessageDispatcher[] = []
  t.after(() => Promise.all(started.map((d) => d.stop())).then(() => undefined))
  const testApp = await buildTestApp(t, options)
  const startDispatcher = (dispatcherOptions: TestDispatcherOptions = {}) => {
    const dispatcher = startTestDispatcher(testApp.deps.db, testApp.clock, dispatcherOptions)
    started.push(dispatcher)
    return dispatcher
  }
  return { ...testApp, startDispatcher }
}

/** A dispatcher with a sandbox carrier on `db` and `clock`, polling fast; the caller stops it. */
function startTestDispatcher(
  db: Kysely<Database>,
  clock: Clock,
  options: TestDispatcherOptions,
): TestDispatcher {
  const sandbox = new SandboxCarrier({
    db,
    clock,
    receiptDelayMs: options.receiptDelayMs ?? 0,
    outcomes: options.outcomes ?? { delivered: 1 },
  })
  const silent = process.env.TEST_LOG_LEVEL
    ? { info: console.log, warn: console.log, error: console.log }
    : { info() {}, warn() {}, error() {} }
  const dispatcher = startMessageDispatcher({
    db,
    clock,
    log: silent,
    carrier: sandbox,
    pollIntervalMs: 20,
    receiptIntervalMs: 20,
    ...options,
  })
  return Object.assign(dispatcher, { sandbox })
}

/** A message row as stored. */
export function messageRow(db: Kysely<Database>, id: number) {
  return db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

/** The states a message went through after `queued`, in order (as GET /v1/messages/{id} shows them). */
export async function historyOf(db: Kysely<Database>, id: number): Promise<string[]> {
  const row = await messageRow(db, id)
  const events = await db
    .selectFrom('message_events')
    .select(['state', 'at', 'detail'])
    .where('message_id', '=', id)
    .orderBy('id')
    .execute()
  return stateHistory(row, events)
    .map((entry) => entry.state)
    .slice(1)
}

/** Domain event types recorded for a message, oldest first. */
export async function eventTypesOf(db: Kysely<Database>, messageId: number): Promise<string[]> {
  const result = await sql<{ type: string }>`
    select type from domain_events where (payload -> 'message' ->> 'id')::bigint = ${messageId} order by id
  `.execute(db)
  return result.rows.map((row) => row.type)
}
