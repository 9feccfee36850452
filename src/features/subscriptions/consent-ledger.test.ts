import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { buildTestApp } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { call, createSource } from '../../../test/helpers/subscribers.ts'

test('ledger rows and disclosure versions cannot be updated, deleted or truncated, even by the role that owns them', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company)
  await call(app, company, 'POST', '/v1/subscriptions', {
    user: { phone: '+17707651750' },
    signUpSourceId: source,
  })
  const db = database.db
  // The app connects as the tables' owner: privileges alone could not stop it; the triggers do.
  const owner = await sql<{ owner: string; me: string }>`
    select tableowner as owner, current_user as me from pg_tables where tablename = 'consent_ledger'`.execute(
    db,
  )
  assert.equal(owner.rows[0]?.owner, owner.rows[0]?.me)

  const attempts = [
    sql`update consent_ledger set new_state = 'UNSUBSCRIBED'`,
    sql`update consent_ledger set ip = '10.0.0.1' where id = (select min(id) from consent_ledger)`,
    sql`delete from consent_ledger`,
    sql`truncate consent_ledger`,
    sql`update sign_up_source_disclosures set text = 'something milder'`,
    sql`delete from sign_up_source_disclosures`,
    sql`truncate sign_up_source_disclosures cascade`,
  ]
  for (const attempt of attempts) {
    await assert.rejects(attempt.execute(db), /append-only/, attempt.compile(db).sql)
  }
  const rows = await db.selectFrom('consent_ledger').select(['new_state', 'ip']).execute()
  assert.deepEqual(rows, [{ new_state: 'SUBSCRIBED', ip: '127.0.0.1' }])
  const disclosures = await db.selectFrom('sign_up_source_disclosures').select('text').execute()
  assert.equal(disclosures.length, 1)
  assert.match(disclosures[0]?.text ?? '', /Consent is not a condition of purchase/)
})

test('a changed disclosure is a new version; the ledger cites the version each person was shown', async (t) => {
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app)
  const source = await createSource(app, company, { id: '132109' })
  await call(app, company, 'POST', '/v1/subscriptions', {
    user: { email: 'first@example.com' },
    signUpSourceId: source,
  })
  const patched = await call(app, company, 'PATCH', `/v1/sign-up-sources/${source}`, {
    disclosure: 'Version two of the terms. Consent is not a condition of purchase.',
  })
  assert.equal(patched.status, 200, patched.raw)
  assert.equal(patched.body.disclosureVersion, 2)
  const renamed = await call(app, company, 'PATCH', `/v1/sign-up-sources/${source}`, { name: 'Renamed' })
  assert.equal(renamed.body.disclosureVersion, 2, 'an unchanged disclosure keeps its version')
  await call(app, company, 'POST', '/v1/subscriptions', {
    user: { email: 'second@example.com' },
    signUpSourceId: source,
  })

  const ledger = await database.db
    .selectFrom('consent_ledger')
    .select(['address', 'disclosure_version'])
    .orderBy('id')
    .execute()
  assert.deepEqual(ledger, [
    { address: 'first@example.com', disclosure_version: 1 },
    { address: 'second@example.com', disclosure_version: 2 },
  ])
  const users = await call(app, company, 'GET', '/v1/users?email=first@example.com')
  const id = (users.body.users as Array<{ id: string }>)[0]?.id ?? ''
  const evidence = await call(app, company, 'GET', `/v1/users/${id}/consent-evidence`)
  assert.equal(evidence.status, 200, evidence.raw)
  const entry = (evidence.body.consents as Array<{ evidence: Array<Record<string, unknown>> }>)[0]
    ?.evidence[0]
  assert.deepEqual(entry?.disclosure, {
    version: 1,
    text: 'I agree to receive recurring automated marketing texts from Acme. Consent is not a condition of purchase.',
  })
  assert.deepEqual(entry?.signUpSource, { id: '132109', name: 'Renamed' })
  assert.equal((entry?.actor as { kind: string }).kind, 'api_key')
  assert.match((entry?.actor as { id: string }).id, /^\d+$/)
  assert.equal(entry?.ip, '127.0.0.1')
  assert.equal(entry?.userAgent, 'lightMyRequest')
})
