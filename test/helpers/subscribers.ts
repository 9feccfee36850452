import assert from 'node:assert/strict'
import { after, type TestContext } from 'node:test'
import type { App } from '../../src/app.ts'
import type { TestCompany } from './company.ts'

/**
 * A stand-in for a test's context whose `after` runs when the whole file is done, for a file that shares one
 * app (and database) between its tests: `buildTestApp(fileScope)`.
 */
export const fileScope: Pick<TestContext, 'after'> = {
  after: (fn) => {
    after(async () => {
      await fn?.(undefined as never, () => {})
    })
  },
}

/** Fields of a sign-up source to create; the defaults make a single opt-in MARKETING source on both channels. */
export interface SourceInput {
  id?: string
  name?: string
  channels?: Array<'TEXT' | 'EMAIL'>
  type?: 'MARKETING' | 'TRANSACTIONAL'
  locale?: { language: string; country: string }
  disclosure?: string
  doubleOptIn?: boolean
}

/** Creates a sign-up source through the API and returns its id. */
export async function createSource(app: App, company: TestCompany, input: SourceInput = {}): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sign-up-sources',
    headers: company.auth,
    payload: {
      name: 'Checkout',
      channels: ['TEXT', 'EMAIL'],
      type: 'MARKETING',
      disclosure:
        'I agree to receive recurring automated marketing texts from Acme. Consent is not a condition of purchase.',
      doubleOptIn: false,
      ...input,
    },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json<{ id: string }>().id
}

/** Sends a request as `company` and returns status and parsed body. */
export async function call(
  app: App,
  company: TestCompany,
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
  url: string,
  payload?: unknown,
) {
  const response = await app.inject({
    method,
    url,
    headers: company.auth,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  })
  return { status: response.statusCode, body: response.json<Record<string, unknown>>(), raw: response.body }
}
