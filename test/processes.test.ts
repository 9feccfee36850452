// Several real `attune` processes on one PostgreSQL database (DATABASE_URL), as a scaled deployment runs them.
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { TEST_ADMIN_TOKEN } from './helpers/build-test-app.ts'
import { attuneProcesses, call } from './helpers/attune-process.ts'
import { createTestDatabase } from './helpers/test-db.ts'

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/db/migrations')

describe('attune processes sharing one database', { concurrency: true }, () => {
  test('a key revoked through one API process is refused by another on the very next request, with the JSON error body', async (t) => {
    const database = await createTestDatabase(t)
    const processes = attuneProcesses(t)
    const env = { DATABASE_URL: database.url, ATTUNE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, PORT: '0' }
    const [one, two] = await Promise.all([processes.start('api', env), processes.start('api', env)])
    assert.ok(one && two)

    const company = await call(one.url(), 'POST', '/admin/v1/companies', TEST_ADMIN_TOKEN, {
      name: 'Shared Co',
    })
    assert.equal(company.status, 201)
    const companyId = company.body.company.id as string
    const key = await call(one.url(), 'POST', `/admin/v1/companies/${companyId}/api-keys`, TEST_ADMIN_TOKEN, {
      name: 'integration',
      scopes: ['events:write'],
    })
    assert.equal(key.status, 201)
    const secret = key.body.apiKey as string

    // Twice, so process 2 has the key in its cache when the revocation arrives.
    for (let i = 0; i < 2; i++) {
      const me = await call(two.url(), 'GET', '/v1/me', secret)
      assert.equal(me.status, 200)
      assert.equal(me.body.companyName, 'Shared Co')
      assert.equal(me.body.companyId, companyId)
    }

    const revoked = await call(
      one.url(),
      'DELETE',
      `/admin/v1/companies/${companyId}/api-keys/${key.body.id}`,
      TEST_ADMIN_TOKEN,
    )
    assert.equal(revoked.status, 204)
    // The 204 comes only once the revocation's NOTIFY has been delivered, so the very next request is refused.
    const refused = await call(two.url(), 'GET', '/v1/me', secret)
    assert.equal(refused.status, 401)
    assert.equal(refused.body.error.code, 'unauthorized')
    assert.match(refused.body.error.message, /unknown or revoked/)
    assert.ok(Number.isInteger(refused.body.error.id), 'error.id is an integer, as Attentive types it')

    const stored = await database.db
      .selectFrom('api_keys')
      .select('revoked_at')
      .where('id', '=', key.body.id)
      .executeTakeFirstOrThrow()
    assert.ok(stored.revoked_at instanceof Date)
    assert.equal(
      (await call(one.url(), 'GET', '/v1/me', company.body.apiKey)).status,
      200,
      'other keys still work',
    )
  })

  test('two API processes starting together on an empty database both come up and apply each migration once', async (t) => {
    const database = await createTestDatabase(t)
    await sql`drop schema public cascade; create schema public`.execute(database.db)
    const processes = attuneProcesses(t)
    const env = { DATABASE_URL: database.url, ATTUNE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, PORT: '0' }
    const [one, two] = await Promise.all([processes.start('api', env), processes.start('api', env)])
    assert.ok(one && two)

    const files = (await fs.readdir(MIGRATIONS)).filter((name) => name.endsWith('.sql')).sort()
    const applied = await sql<{ name: string; times: number }>`
      select name, count(*)::int as times from schema_migrations group by name order by name`.execute(
      database.db,
    )
    assert.deepEqual(
      applied.rows,
      files.map((name) => ({ name, times: 1 })),
    )
    const logged = [one, two].map((p) => /"msg":"migrations applied"/.test(p.stdout()))
    assert.deepEqual(logged.sort(), [false, true], 'exactly one of them applied the migrations')
    for (const p of [one, two]) {
      assert.deepEqual(await call(p.url(), 'GET', '/health'), { status: 200, body: { status: 'ok' } })
      assert.equal(
        (await call(p.url(), 'POST', '/admin/v1/companies', TEST_ADMIN_TOKEN, { name: 'Fresh' })).status,
        201,
      )
    }
  })

  test('a worker process starts and stops cleanly on SIGTERM with exit code 0', async (t) => {
    const database = await createTestDatabase(t)
    const processes = attuneProcesses(t)
    const worker = await processes.start('worker', { DATABASE_URL: database.url })
    assert.match(worker.stdout(), /"msg":"worker started"/)
    assert.doesNotMatch(worker.stdout(), /Server listening/, 'a worker opens no API port')

    assert.deepEqual(await worker.kill('SIGTERM'), { code: 0, signal: null })
    assert.match(worker.stdout(), /"msg":"worker stopped"/)
    assert.match(worker.stdout(), /"msg":"attune stopped"/)
    assert.deepEqual(worker.errorLines(), [])
  })
})
