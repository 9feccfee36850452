import assert from 'node:assert/strict'
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { TestContext } from 'node:test'
import { sql } from 'kysely'
import type { Clock } from '../../src/clock.ts'
import { recordDomainEvents, type NewDomainEvent } from '../../src/features/domain-events/domain-events.queries.ts'
import { startDispatcher, type Dispatcher, type DispatcherOptions } from '../../src/features/webhooks/dispatcher.ts'
import { decodeObjectId } from '../../src/http/object-id.ts'
import { buildTestApp, type TestApp } from './build-test-app.ts'
import { createCompany, type TestCompany } from './company.ts'
import { waitFor } from './wait-for.ts'

/** A test app whose worker side runs a webhook dispatcher, with one company. */
export interface WebhookTestApp extends TestApp {
  company: TestCompany
  dispatcher: Dispatcher
}

/**
 * Builds the app (http:// and private webhook targets allowed, as a receiver on 127.0.0.1 needs) and starts a
 * dispatcher on its database and clock. The dispatcher stops before the database goes (hooks run in order).
 */
export async function buildWebhookTestApp(
  t: Pick<TestContext, 'after'>,
  options: { clock?: Clock; env?: Record<string, string>; dispatcher?: Partial<DispatcherOptions> } = {},
): Promise<WebhookTestApp> {
  const started: Dispatcher[] = []
  t.after(() => Promise.all(started.map((d) => d.stop())))
  const testApp = await buildTestApp(t, {
    ...(options.clock ? { clock: options.clock } : {}),
    env: { ATTUNE_ALLOW_HTTP_WEBHOOKS: 'true', ...options.env },
  })
  const company = await createCompany(testApp.app)
  const { deps } = testApp
  const dispatcher = startDispatcher({
    db: deps.db,
    clock: deps.clock,
    log: deps.log,
    allowPrivate: deps.config.webhookAllowPrivate,
    allowHttp: deps.config.allowHttpWebhooks,
    listen: deps.connectListener,
    pollIntervalMs: 20,
    ...options.dispatcher,
  })
  started.push(dispatcher)
  return { ...testApp, company, dispatcher }
}

/** A webhook made through the API: its id (also decoded) and its secret. */
export interface TestWebhook {
  id: string
  numericId: number
  secret: string
}

/** Creates a webhook of `company`'s key through `POST /v1/webhooks`. */
export async function createWebhook(
  testApp: Pick<TestApp, 'app'>,
  company: TestCompany,
  url: string,
  events: string[],
): Promise<TestWebhook> {
  const response = await testApp.app.inject({ method: 'POST', url: '/v1/webhooks', headers: company.auth, payload: { url, events } })
  assert.equal(response.statusCode, 201, response.body)
  const body = response.json<{ id: string; secret: string }>()
  const numericId = decodeObjectId('CompanyApplicationWebhook', body.id)
  assert.ok(numericId)
  return { id: body.id, numericId, secret: body.secret }
}

/** The numeric id of a company made through the admin API. */
export function companyNumber(company: TestCompany): number {
  const id = decodeObjectId('Company', company.id)
  assert.ok(id)
  return id
}

/** Records domain events as a feature would, in one transaction (the fan-out runs in it). */
export async function recordEvents(testApp: Pick<TestApp, 'deps'>, events: NewDomainEvent[]): Promise<number[]> {
  return testApp.deps.db.transaction().execute((tx) => recordDomainEvents(tx, events))
}

/**
 * Waits until no delivery is due at the clock's now: everything due was attempted and recorded (a failure has
 * been rescheduled into the future). Wakes the dispatcher first, for a clock just moved.
 */
export async function waitForDispatchIdle(testApp: WebhookTestApp, timeoutMs = 20_000): Promise<void> {
  testApp.dispatcher.wake()
  await waitFor(
    async () => {
      const result = await sql<{ n: number }>`
        select count(*)::int as n from webhook_deliveries
        where status = 'pending' and next_attempt_at <= ${testApp.clock.now()}
      `.execute(testApp.deps.db)
      return result.rows[0]?.n === 0
    },
    { timeoutMs, description: 'every due webhook delivery attempted' },
  )
}

/** Counts deliveries by status. */
export async function deliveryStatuses(testApp: Pick<TestApp, 'deps'>): Promise<Record<string, number>> {
  const rows = await testApp.deps.db
    .selectFrom('webhook_deliveries')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .groupBy('status')
    .execute()
  return Object.fromEntries(rows.map((row) => [row.status, row.n]))
}

/** Headers as a receiver sees them. */
type Headers = Record<string, string | string[] | undefined>

function header(headers: Headers, name: string): string {
  const value = headers[name]
  assert.equal(typeof value, 'string', `header ${name} is missing`)
  return value as string
}

function equalSafe(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * A receiver's check of Attentive's header, written from the contract (ATTENTIVE_API.md §4.3), not from
 * sign.ts: hex HMAC-SHA256 of the raw body with the secret as UTF-8.
 */
export function verifyAttentive(secret: string, body: Buffer, headers: Headers): boolean {
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')
  return equalSafe(expected, header(headers, 'x-attentive-hmac-sha256'))
}

/**
 * A receiver's check of the Standard Webhooks headers, as its specification describes it: the key is the
 * base64 after `whsec_`; the signed content `<webhook-id>.<webhook-timestamp>.<body>`; any `v1,` entry may
 * match; a timestamp more than 300 s from `nowSeconds` is refused (replay).
 */
export function verifyStandard(secret: string, body: Buffer, headers: Headers, nowSeconds: number): boolean {
  const id = header(headers, 'webhook-id')
  const timestamp = header(headers, 'webhook-timestamp')
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const expected = createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body])).digest('base64')
  return header(headers, 'webhook-signature')
    .split(' ')
    .some((entry) => entry.startsWith('v1,') && equalSafe(entry.slice(3), expected))
}
