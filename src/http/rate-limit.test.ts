import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, ManualClock, TEST_ADMIN_TOKEN } from '../../test/helpers/build-test-app.ts'
import { createCompany } from '../../test/helpers/company.ts'
import { DEFAULT_LIMITS, RateLimiter } from './rate-limit.ts'

test('a bucket allows a burst up to the limit, then refills at the limit per second', () => {
  const limiter = new RateLimiter()
  const t0 = 1_000_000
  const burst = Array.from({ length: 10 }, () => limiter.take('k', 10, t0))
  assert.deepEqual(
    burst.map((d) => d.remaining),
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
  )
  const refused = limiter.take('k', 10, t0)
  assert.deepEqual(refused, { allowed: false, limit: 10, remaining: 0, retryAfterSeconds: 1 })
  assert.equal(limiter.take('k', 10, t0 + 99).allowed, false, 'less than one token after 99 ms at 10/s')
  assert.equal(limiter.take('k', 10, t0 + 100).allowed, true, 'one token after 100 ms')
  assert.equal(limiter.take('other', 10, t0).remaining, 9, 'buckets are independent')
})

test('Retry-After is whole seconds, at least 1, long enough for a slow limit', () => {
  const limiter = new RateLimiter()
  assert.equal(limiter.take('slow', 1, 0).allowed, true)
  const refused = limiter.take('slow', 1, 10)
  assert.equal(refused.retryAfterSeconds, 1)
})

test('limits follow Attentive, company overrides replace them, and several processes share them', () => {
  assert.deepEqual(DEFAULT_LIMITS, { default: 150, subscribe: 10, identity: 10, unsubscribe: 5, catalogUpload: 1 })
  const one = new RateLimiter(1)
  assert.equal(one.limitFor('subscribe', {}), 10)
  assert.equal(one.limitFor('default', { rateLimits: { default: 400 } }), 400)
  const three = new RateLimiter(3)
  assert.equal(three.limitFor('default', undefined), 50)
  assert.equal(three.limitFor('unsubscribe', undefined), 2)
  assert.equal(three.limitFor('catalogUpload', undefined), 1, 'never below one per process')
})

test('a burst above the limit gets 429 with Retry-After and correct x-ratelimit headers', async (t) => {
  const clock = new ManualClock()
  const { app } = await buildTestApp(t, { clock })
  const company = await createCompany(app)
  const patch = await app.inject({
    method: 'PATCH',
    url: `/admin/v1/companies/${company.id}`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: { settings: { rateLimits: { default: 5 } } },
  })
  assert.equal(patch.statusCode, 200, patch.body)
  const answers = []
  for (let i = 0; i < 8; i++) answers.push(await app.inject({ method: 'GET', url: '/v1/me', headers: company.auth }))
  assert.deepEqual(
    answers.map((r) => r.statusCode),
    [200, 200, 200, 200, 200, 429, 429, 429],
  )
  assert.deepEqual(
    answers.map((r) => r.headers['x-ratelimit-remaining']),
    ['4', '3', '2', '1', '0', '0', '0', '0'],
  )
  for (const r of answers) assert.equal(r.headers['x-ratelimit-limit'], '5')
  const refused = answers[5]!
  assert.equal(refused.headers['retry-after'], '1')
  assert.equal(refused.json().error.code, 'rate_limited')
  clock.advance(1000)
  const later = await app.inject({ method: 'GET', url: '/v1/me', headers: company.auth })
  assert.equal(later.statusCode, 200, 'the bucket refilled after a second')
  assert.equal(later.headers['x-ratelimit-remaining'], '4')
})
