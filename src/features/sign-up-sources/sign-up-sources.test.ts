import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { call } from '../../../test/helpers/subscribers.ts'

const base = {
  name: 'Spring pop-up',
  channels: ['TEXT'],
  type: 'MARKETING',
  disclosure:
    'By signing up you agree to receive recurring automated marketing texts. Consent is not a condition of purchase.',
}

test('sign-up sources keep a chosen id, generate numeric ones, and refuse duplicates and marketing without a disclosure', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)

  const chosen = await call(app, company, 'POST', '/v1/sign-up-sources', {
    ...base,
    id: '132109',
    locale: { language: 'en', country: 'US' },
  })
  assert.equal(chosen.status, 201, chosen.raw)
  assert.deepEqual(
    { ...chosen.body, createdAt: undefined, updatedAt: undefined },
    {
      ...base,
      id: '132109',
      locale: { language: 'en', country: 'US' },
      disclosureVersion: 1,
      doubleOptIn: true,
      optInRequestText: chosen.body.optInRequestText,
      welcomeText: chosen.body.welcomeText,
      createdAt: undefined,
      updatedAt: undefined,
    },
  )
  assert.match(String(chosen.body.optInRequestText), /Reply Y/)
  assert.match(String(chosen.body.welcomeText), /STOP/)

  const first = await call(app, company, 'POST', '/v1/sign-up-sources', base)
  const second = await call(app, company, 'POST', '/v1/sign-up-sources', {
    ...base,
    type: 'TRANSACTIONAL',
    disclosure: undefined,
  })
  assert.equal(first.body.id, '132110', 'generated ids follow the largest numeric id')
  assert.equal(second.body.id, '132111')

  const duplicate = await call(app, company, 'POST', '/v1/sign-up-sources', { ...base, id: '132109' })
  assert.equal(duplicate.status, 400)
  assert.equal((duplicate.body.error as { code: string }).code, 'sign_up_source_exists')
  const noDisclosure = await call(app, company, 'POST', '/v1/sign-up-sources', { ...base, disclosure: ' ' })
  assert.equal(noDisclosure.status, 400)
  assert.equal((noDisclosure.body.error as { field: string }).field, 'disclosure')
  const unknownField = await call(app, company, 'POST', '/v1/sign-up-sources', {
    ...base,
    doubleOptin: false,
  })
  assert.equal(unknownField.status, 400)
  assert.equal((unknownField.body.error as { field: string }).field, 'doubleOptin')
  const badChannel = await call(app, company, 'POST', '/v1/sign-up-sources', { ...base, channels: ['SMS'] })
  assert.equal((badChannel.body.error as { field: string }).field, 'channels[0]')

  const listed = await call(app, company, 'GET', '/v1/sign-up-sources')
  assert.deepEqual(
    (listed.body.signUpSources as Array<{ id: string }>).map((s) => s.id),
    ['132109', '132110', '132111'],
  )
  const stored = await database.db.selectFrom('sign_up_sources').select('id').execute()
  assert.equal(stored.length, 3, 'refused requests stored nothing')
})

test('PATCH changes a source, versions its disclosure, and answers 404 for an unknown id', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  await call(app, company, 'POST', '/v1/sign-up-sources', { ...base, id: 'form-1' })
  const patched = await call(app, company, 'PATCH', '/v1/sign-up-sources/form-1', {
    doubleOptIn: false,
    channels: ['TEXT', 'EMAIL'],
    locale: null,
    disclosure: 'New words. Consent is not a condition of purchase.',
  })
  assert.equal(patched.status, 200, patched.raw)
  assert.equal(patched.body.doubleOptIn, false)
  assert.deepEqual(patched.body.channels, ['TEXT', 'EMAIL'])
  assert.equal(patched.body.disclosureVersion, 2)
  assert.equal(patched.body.disclosure, 'New words. Consent is not a condition of purchase.')
  const versions = await database.db
    .selectFrom('sign_up_source_disclosures')
    .select(['version', 'text'])
    .orderBy('version')
    .execute()
  assert.deepEqual(
    versions.map((v) => v.version),
    [1, 2],
  )
  assert.equal(versions[0]?.text, base.disclosure)

  assert.equal((await call(app, company, 'PATCH', '/v1/sign-up-sources/nope', { name: 'x' })).status, 404)
  assert.equal((await call(app, company, 'GET', '/v1/sign-up-sources/nope')).status, 404)
  const cleared = await call(app, company, 'PATCH', '/v1/sign-up-sources/form-1', { disclosure: '' })
  assert.equal(cleared.status, 400, 'a MARKETING source keeps a disclosure')
})

test('the sign-up source and profile operations are tagged "Attune addition" in the OpenAPI document', async (t) => {
  const { app } = await buildTestApp(t)
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, { tags?: string[] }>>
  }>()
  for (const [path, method] of [
    ['/v1/sign-up-sources', 'post'],
    ['/v1/sign-up-sources', 'get'],
    ['/v1/sign-up-sources/{id}', 'patch'],
    ['/v1/users', 'get'],
    ['/v1/users/{id}', 'get'],
    ['/v1/users/{id}/consent-evidence', 'get'],
  ] as const) {
    assert.deepEqual(document.paths[path]?.[method]?.tags, ['Attune addition'], `${method} ${path}`)
  }
  assert.deepEqual(document.paths['/v1/subscriptions']?.post?.tags, ['Attentive-compatible'])
})

test('a prompt or welcome that is not valid Liquid is refused when the source is saved, and nothing is stored', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const bad = await call(app, company, 'POST', '/v1/sign-up-sources', { ...base, welcomeText: 'Hi {{ profile.firstName | nope }}' })
  assert.equal(bad.status, 400, bad.raw)
  assert.equal((bad.body.error as { code: string; field: string }).code, 'invalid_template')
  assert.equal((bad.body.error as { code: string; field: string }).field, 'welcomeText')
  assert.equal((await database.db.selectFrom('sign_up_sources').select('id').execute()).length, 0)
  const made = await call(app, company, 'POST', '/v1/sign-up-sources', { ...base, id: '7' })
  assert.equal(made.status, 201, made.raw)
  const patch = await call(app, company, 'PATCH', '/v1/sign-up-sources/7', { optInRequestText: 'Reply Y {% if %}' })
  assert.equal(patch.status, 400, patch.raw)
  assert.equal((patch.body.error as { field: string }).field, 'optInRequestText')
})
