import assert from 'node:assert/strict'
import type { Kysely } from 'kysely'
import type { App } from '../../src/app.ts'
import type { Database } from '../../src/db/schema.ts'
import { TEST_ADMIN_TOKEN } from './build-test-app.ts'
import type { TestCompany } from './company.ts'

export { companyNumber, setCompanySettings } from '../../src/features/messages/messages.fixtures.ts'

/** The answer of POST /v1/sandbox/inbound. */
export interface InboundAnswer {
  id: string
  from: string
  to: string
  body: string
  intent: string
  action: string
  subscriberId: number
  duplicate: boolean
  replies: Array<{ id: string; kind: string; body: string }>
}

/** A text from `from` to the company through the sandbox carrier; asserts the 201 and returns the answer. */
export async function textIn(
  app: App,
  company: TestCompany,
  from: string,
  body: string,
  extra: { to?: string; providerId?: string } = {},
): Promise<InboundAnswer> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sandbox/inbound',
    headers: company.auth,
    payload: { from, body, ...extra },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json<InboundAnswer>()
}

/** A TEXT sign-up source through the API (double opt-in unless told otherwise); returns its id. */
export async function createTextSource(
  app: App,
  company: TestCompany,
  input: {
    id: string
    doubleOptIn?: boolean
    type?: 'MARKETING' | 'TRANSACTIONAL'
    optInRequestText?: string
    welcomeText?: string
  },
): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sign-up-sources',
    headers: company.auth,
    payload: {
      name: `Source ${input.id}`,
      channels: ['TEXT'],
      type: 'MARKETING',
      disclosure:
        'I agree to receive recurring automated marketing texts. Consent is not a condition of purchase.',
      doubleOptIn: true,
      ...input,
    },
  })
  assert.equal(response.statusCode, 201, response.body)
  return input.id
}

/** Subscribes `phone` through `sourceId` with the Subscriptions API; asserts the 202. */
export async function signUpPhone(
  app: App,
  company: TestCompany,
  phone: string,
  sourceId: string,
): Promise<void> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: company.auth,
    payload: { user: { phone }, signUpSourceId: sourceId },
  })
  assert.equal(response.statusCode, 202, response.body)
}

/** The TEXT consent states of the profile holding `phone`, by type (`MARKETING=SUBSCRIBED` ...), sorted. */
export async function textConsents(
  db: Kysely<Database>,
  companyId: number,
  phone: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('consents')
    .select(['type', 'state'])
    .where('company_id', '=', companyId)
    .where('channel', '=', 'TEXT')
    .where('address', '=', phone)
    .orderBy('type')
    .execute()
  return rows.map((row) => `${row.type}=${row.state}`)
}

/** Messages queued to `phone`, oldest first, as `origin: body`. */
export async function queuedTo(db: Kysely<Database>, companyId: number, phone: string): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['origin', 'body'])
    .where('company_id', '=', companyId)
    .where('to_address', '=', phone)
    .orderBy('id')
    .execute()
  return rows.map((row) => `${row.origin}: ${row.body}`)
}

/** Lifts the company's per-second rate limits (admin API), for tests that make hundreds of calls at once. */
export async function liftRateLimits(app: App, company: TestCompany): Promise<void> {
  const response = await app.inject({
    method: 'PATCH',
    url: `/admin/v1/companies/${company.id}`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: { settings: { rateLimits: { default: 1_000_000, subscribe: 1_000_000 } } },
  })
  assert.equal(response.statusCode, 200, response.body)
}
