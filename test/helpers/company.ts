import assert from 'node:assert/strict'
import type { App } from '../../src/app.ts'
import { TEST_ADMIN_TOKEN } from './build-test-app.ts'

/** A company made through the admin API, with its full-access key. */
export interface TestCompany {
  id: string
  apiKey: string
  /** Headers that authenticate as this company's key. */
  auth: { authorization: string }
}

/** Creates a company (and its full-access key) through the admin API. */
export async function createCompany(app: App, name = 'Acme'): Promise<TestCompany> {
  const response = await app.inject({
    method: 'POST',
    url: '/admin/v1/companies',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: { name },
  })
  assert.equal(response.statusCode, 201, response.body)
  const body = response.json<{ company: { id: string }; apiKey: string }>()
  return { id: body.company.id, apiKey: body.apiKey, auth: { authorization: `Bearer ${body.apiKey}` } }
}

/** Creates a further key of `company` with only `scopes`. */
export async function createKey(app: App, company: TestCompany, scopes: string[]): Promise<{ authorization: string }> {
  const response = await app.inject({
    method: 'POST',
    url: `/admin/v1/companies/${company.id}/api-keys`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: { name: `key with ${scopes.join(' ')}`, scopes },
  })
  assert.equal(response.statusCode, 201, response.body)
  return { authorization: `Bearer ${response.json<{ apiKey: string }>().apiKey}` }
}

/** A request a key of one company makes for another company's resource. */
export interface CrossCompanyProbe {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** URL naming company B's resource. */
  url: string
  payload?: unknown
}

/**
 * The cross-company check every feature runs over its own endpoints: company A's key asking for company B's
 * resources gets 401, 403 or 404 (or an empty answer, as eligibility for an unknown person) and never B's data (B's identifying strings must not appear in the answer).
 * `secrets` are strings only B's data contains (a phone number, an email, an id).
 */
export async function assertCrossCompanyDenied(
  app: App,
  attacker: TestCompany,
  probes: CrossCompanyProbe[],
  secrets: string[],
): Promise<void> {
  for (const probe of probes) {
    const response = await app.inject({
      method: probe.method,
      url: probe.url,
      headers: attacker.auth,
      ...(probe.payload !== undefined ? { payload: probe.payload as object } : {}),
    })
    assert.ok(
      [401, 403, 404].includes(response.statusCode) || (response.statusCode < 300 && isEmptyAnswer(response.body)),
      `${probe.method} ${probe.url} answered ${response.statusCode}: ${response.body}`,
    )
    for (const secret of secrets) {
      assert.ok(!response.body.includes(secret), `${probe.method} ${probe.url} leaked ${secret}: ${response.body}`)
    }
  }
}

function isEmptyAnswer(body: string): boolean {
  const empty = ['[]', '{}', '{"subscriptionEligibilities":[]}', '{"users":[]}', '{"signUpSources":[]}']
  return empty.includes(body.trim()) || body.trim() === ''
}
