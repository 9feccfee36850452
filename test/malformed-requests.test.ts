import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp, TEST_ADMIN_TOKEN } from './helpers/build-test-app.ts'
import { createCompany } from './helpers/company.ts'

const admin = `Bearer ${TEST_ADMIN_TOKEN}`
const json = 'application/json'

/** [name, method, url, content-type (null: none), raw body, expected status, expected code] */
type Case = [string, string, string, string | null, string | Buffer | undefined, number, string]

const big = (bytes: number) => JSON.stringify({ name: 'x'.repeat(bytes) })

const cases: Case[] = [
  // malformed JSON
  ['truncated object', 'POST', '/admin/v1/companies', json, '{"name": "Acme"', 400, 'invalid_json'],
  ['trailing comma', 'POST', '/admin/v1/companies', json, '{"name": "Acme",}', 400, 'invalid_json'],
  ['single quotes', 'POST', '/admin/v1/companies', json, "{'name': 'Acme'}", 400, 'invalid_json'],
  ['bare word', 'POST', '/admin/v1/companies', json, 'Acme', 400, 'invalid_json'],
  ['NaN literal', 'POST', '/admin/v1/companies', json, '{"name": NaN}', 400, 'invalid_json'],
  ['two objects', 'POST', '/admin/v1/companies', json, '{"name":"a"}{"name":"b"}', 400, 'invalid_json'],
  ['lone surrogate escape is JSON but a bad name type', 'POST', '/admin/v1/companies', json, '{"name": 12}', 400, 'validation_failed'],
  ['empty body with JSON type', 'POST', '/admin/v1/companies', json, '', 400, 'validation_failed'],
  ['whitespace body', 'POST', '/admin/v1/companies', json, '   \n ', 400, 'validation_failed'],
  ['null body', 'POST', '/admin/v1/companies', json, 'null', 400, 'validation_failed'],
  ['array body', 'POST', '/admin/v1/companies', json, '[{"name":"a"}]', 400, 'validation_failed'],
  ['string body', 'POST', '/admin/v1/companies', json, '"Acme"', 400, 'validation_failed'],
  ['number body', 'POST', '/admin/v1/companies', json, '42', 400, 'validation_failed'],
  ['true body', 'POST', '/admin/v1/companies', json, 'true', 400, 'validation_failed'],
  ['deep nesting', 'POST', '/admin/v1/companies', json, `${'['.repeat(5000)}${']'.repeat(5000)}`, 400, 'validation_failed'],
  ['BOM before JSON', 'POST', '/admin/v1/companies', json, '\uFEFF{"name":"Acme"}', 400, 'invalid_json'],
  ['invalid UTF-8 bytes', 'POST', '/admin/v1/companies', json, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, 'invalid_json'],
  ['NUL bytes', 'POST', '/admin/v1/companies', json, '{"name":"\u0000\u0000"}', 400, 'invalid_json'],
  // wrong types and missing fields
  ['name missing', 'POST', '/admin/v1/companies', json, '{}', 400, 'validation_failed'],
  ['name null', 'POST', '/admin/v1/companies', json, '{"name":null}', 400, 'validation_failed'],
  ['name number', 'POST', '/admin/v1/companies', json, '{"name":1}', 400, 'validation_failed'],
  ['name array', 'POST', '/admin/v1/companies', json, '{"name":["a"]}', 400, 'validation_failed'],
  ['name object', 'POST', '/admin/v1/companies', json, '{"name":{"a":1}}', 400, 'validation_failed'],
  ['name empty', 'POST', '/admin/v1/companies', json, '{"name":""}', 400, 'validation_failed'],
  ['name too long', 'POST', '/admin/v1/companies', json, JSON.stringify({ name: 'n'.repeat(201) }), 400, 'validation_failed'],
  ['domain with spaces', 'POST', '/admin/v1/companies', json, '{"name":"a","domain":"a b"}', 400, 'validation_failed'],
  ['domain with emoji', 'POST', '/admin/v1/companies', json, '{"name":"a","domain":"😀.example"}', 400, 'validation_failed'],
  ['domain number', 'POST', '/admin/v1/companies', json, '{"name":"a","domain":5}', 400, 'validation_failed'],
  ['unknown field', 'POST', '/admin/v1/companies', json, '{"name":"a","x":1}', 400, 'validation_failed'],
  ['prototype pollution key', 'POST', '/admin/v1/companies', json, '{"name":"a","__proto__":{"admin":true}}', 400, 'validation_failed'],
  ['constructor key', 'POST', '/admin/v1/companies', json, '{"name":"a","constructor":{"prototype":{}}}', 400, 'validation_failed'],
  ['scopes not a list', 'POST', '/admin/v1/companies/{company}/api-keys', json, '{"name":"k","scopes":"events:write"}', 400, 'validation_failed'],
  ['scopes empty', 'POST', '/admin/v1/companies/{company}/api-keys', json, '{"name":"k","scopes":[]}', 400, 'validation_failed'],
  ['scope unknown', 'POST', '/admin/v1/companies/{company}/api-keys', json, '{"name":"k","scopes":["root"]}', 400, 'invalid_scope'],
  ['scope unicode junk', 'POST', '/admin/v1/companies/{company}/api-keys', json, '{"name":"k","scopes":["événements:write"]}', 400, 'invalid_scope'],
  ['scopes too many', 'POST', '/admin/v1/companies/{company}/api-keys', json, JSON.stringify({ name: 'k', scopes: Array(51).fill('events:write') }), 400, 'validation_failed'],
  ['contact email not an email', 'POST', '/admin/v1/companies/{company}/api-keys', json, '{"name":"k","scopes":["events:write"],"contactEmail":"nope"}', 400, 'validation_failed'],
  ['rate limit negative', 'PATCH', '/admin/v1/companies/{company}', json, '{"settings":{"rateLimits":{"default":-1}}}', 400, 'validation_failed'],
  ['rate limit string', 'PATCH', '/admin/v1/companies/{company}', json, '{"settings":{"rateLimits":{"default":"10"}}}', 400, 'validation_failed'],
  ['rate limit unknown family', 'PATCH', '/admin/v1/companies/{company}', json, '{"settings":{"rateLimits":{"all":10}}}', 400, 'validation_failed'],
  // content types
  ['text/plain', 'POST', '/admin/v1/companies', 'text/plain', '{"name":"a"}', 415, 'unsupported_media_type'],
  ['form encoded', 'POST', '/admin/v1/companies', 'application/x-www-form-urlencoded', 'name=a', 415, 'unsupported_media_type'],
  ['multipart', 'POST', '/admin/v1/companies', 'multipart/form-data; boundary=x', '--x--', 415, 'unsupported_media_type'],
  ['xml', 'POST', '/admin/v1/companies', 'application/xml', '<name>a</name>', 415, 'unsupported_media_type'],
  ['garbage content type', 'POST', '/admin/v1/companies', '💥/💥', '{"name":"a"}', 415, 'unsupported_media_type'],
  ['octet stream', 'POST', '/admin/v1/companies', 'application/octet-stream', '{"name":"a"}', 415, 'unsupported_media_type'],
  // sizes
  ['body over 1 MiB', 'POST', '/admin/v1/companies', json, big(1024 * 1024 + 10), 413, 'payload_too_large'],
  ['body of 5 MiB', 'POST', '/admin/v1/companies', json, big(5 * 1024 * 1024), 413, 'payload_too_large'],
  // routes and methods
  ['unknown route', 'GET', '/v1/nothing-here', null, undefined, 404, 'not_found'],
  ['graphql is not served', 'POST', '/v1/graphql', json, '{"query":"{me}"}', 404, 'not_found'],
  ['unicode path', 'GET', '/v1/%F0%9F%92%A5', null, undefined, 404, 'not_found'],
  ['path traversal', 'GET', '/v1/../../etc/passwd', null, undefined, 404, 'not_found'],
  ['wrong method on /v1/me', 'POST', '/v1/me', json, '{}', 405, 'method_not_allowed'],
  ['wrong method on companies', 'PUT', '/admin/v1/companies', json, '{}', 405, 'method_not_allowed'],
  ['wrong method on health', 'DELETE', '/health', null, undefined, 405, 'method_not_allowed'],
  ['bad company id in path', 'GET', '/admin/v1/companies/not-an-id', null, undefined, 404, 'unknown_company'],
  ['company id of another type', 'GET', '/admin/v1/companies/MDc6TWVzc2FnZTE', null, undefined, 404, 'unknown_company'],
  ['key id not a number', 'DELETE', '/admin/v1/companies/{company}/api-keys/abc', null, undefined, 400, 'validation_failed'],
  ['key id huge', 'DELETE', '/admin/v1/companies/{company}/api-keys/99999999999999999999999', null, undefined, 400, 'validation_failed'],
  ['very long path segment', 'GET', `/admin/v1/companies/${'A'.repeat(5000)}`, null, undefined, 414, 'uri_too_long'],
  ['bad percent encoding', 'GET', '/admin/v1/companies/%E0%A4%A', null, undefined, 404, 'not_found'],
]

test(`${cases.length} malformed requests each get their 4xx JSON error and never a 5xx`, async (t) => {
  assert.ok(cases.length >= 50)
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const companiesBefore = await database.db.selectFrom('companies').select('id').execute()
  for (const [name, method, url, contentType, body, status, code] of cases) {
    const headers: Record<string, string> = { authorization: admin }
    if (contentType) headers['content-type'] = contentType
    const response = await app.inject({
      method: method as 'GET',
      url: url.replace('{company}', company.id),
      headers,
      ...(body !== undefined ? { payload: body } : {}),
    })
    assert.ok(response.statusCode < 500, `${name}: ${response.statusCode} ${response.body}`)
    assert.equal(response.statusCode, status, `${name}: ${response.body}`)
    assert.match(response.headers['content-type'] as string, /^application\/json/, name)
    const error = response.json().error
    assert.equal(error.code, code, `${name}: ${response.body}`)
    assert.equal(typeof error.id, 'number', name)
    assert.ok(error.message.length > 10, name)
    if (status === 405) assert.ok(response.headers.allow, `${name}: 405 names the allowed methods`)
  }
  const companiesAfter = await database.db.selectFrom('companies').select('id').execute()
  assert.deepEqual(companiesAfter, companiesBefore, 'no malformed request stored anything')
})

test('validation lists every failing field at once, each with the expected form', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const response = await app.inject({
    method: 'POST',
    url: `/admin/v1/companies/${company.id}/api-keys`,
    headers: { authorization: admin },
    payload: { name: '', scopes: 'x', contactEmail: 5, extra: true },
  })
  assert.equal(response.statusCode, 400)
  const fields = response.json().error.details.map((d: { field: string }) => d.field).sort()
  assert.deepEqual(fields, ['contactEmail', 'extra', 'name', 'scopes'])
  assert.match(response.json().error.message, /name: must not be empty/)
})

test('a JSON body is accepted with a charset, as application/*+json, and with no Content-Type', async (t) => {
  const { app } = await buildTestApp(t)
  for (const contentType of ['application/json; charset=utf-8', 'application/vnd.api+json', undefined]) {
    const response = await app.inject({
      method: 'POST',
      url: '/admin/v1/companies',
      headers: { authorization: admin, ...(contentType ? { 'content-type': contentType } : {}) },
      payload: '{"name":"Acme"}',
    })
    assert.equal(response.statusCode, 201, `${contentType}: ${response.body}`)
  }
})

test('one trailing slash is ignored', async (t) => {
  const { app } = await buildTestApp(t)
  const company = await createCompany(app)
  const response = await app.inject({ method: 'GET', url: '/v1/me/', headers: company.auth })
  assert.equal(response.statusCode, 200)
})
