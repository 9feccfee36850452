import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { buildTestApp, ManualClock, TEST_ADMIN_TOKEN } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'
import { jobHandlers } from '../../jobs.ts'
import { startWorker } from '../../queue/runner.ts'
import { companyIdOf, countRows, post } from './events-test-helpers.ts'
import { DELETE_CHUNK, MAINTENANCE_JOB } from './maintenance.job.ts'

const DAY = 86_400_000

test('events older than a company\'s eventRetentionDays are dropped in bulk; other companies keep theirs', async (t) => {
  const clock = new ManualClock('2026-03-01T12:00:00Z')
  const { app, deps } = await buildTestApp(t, { clock })
  const [limited, keeper] = [await createCompany(app, 'Limited'), await createCompany(app, 'Keeper')]
  const [limitedId, keeperId] = [companyIdOf(limited), companyIdOf(keeper)]
  const setting = await app.inject({
    method: 'PATCH',
    url: `/admin/v1/companies/${limited.id}`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    payload: { settings: { eventRetentionDays: 30 } },
  })
  assert.equal(setting.statusCode, 200, setting.body)
  const at = (days: number) => new Date(clock.now().getTime() - days * DAY).toISOString()
  const user = { phone: '+19148440001' }
  for (const company of [limited, keeper]) {
    assert.equal((await post(app, company.auth, '/v1/events/custom', { type: 'Old', occurredAt: at(40), user })).status, 200)
    assert.equal((await post(app, company.auth, '/v1/events/custom', { type: 'Recent', occurredAt: at(1), user })).status, 200)
  }
  // Many more old rows than one statement deletes, so the job must come back for the rest at once.
  const userId = (await deps.db.selectFrom('users').select('id').where('company_id', '=', limitedId).executeTakeFirstOrThrow()).id
  await sql`
    insert into events (company_id, user_id, kind, type, occurred_at, received_at)
    select ${limitedId}, ${userId}, 'custom', 'Bulk', ${at(31)}::timestamptz, ${at(31)}::timestamptz from generate_series(1, ${DELETE_CHUNK + 5})
  `.execute(deps.db)
  // An answer kept for an Idempotency-Key and an externalEventId claim, both to expire.
  await app.inject({ method: 'POST', url: '/v1/events/custom', headers: { ...limited.auth, 'idempotency-key': 'k1' }, payload: { type: 'Keyed', user } })
  await post(app, limited.auth, '/v1/events/custom', { type: 'Claimed', externalEventId: 'x-1', user })

  const queued = await deps.db.selectFrom('jobs').select(['kind', 'run_at']).where('kind', '=', MAINTENANCE_JOB).execute()
  assert.equal(queued.length, 1, 'the first event written seeded the maintenance job')

  clock.advance(31 * DAY)
  const worker = startWorker({ db: deps.db, handlers: jobHandlers(deps), clock, log: deps.log, pollIntervalMs: 20 })
  t.after(() => worker.stop())
  await waitFor(async () => (await countRows(deps, 'events', limitedId)) === 0, { timeoutMs: 20_000, description: 'old events dropped' })
  assert.equal(await countRows(deps, 'events', keeperId), 2, 'no retention setting: every event is kept')
  await waitFor(async () => (await countRows(deps, 'idempotency_keys', limitedId)) === 0)
  await waitFor(async () => (await countRows(deps, 'event_external_ids', limitedId)) === 0)
  await waitFor(async () => {
    const next = await deps.db.selectFrom('jobs').select('run_at').where('kind', '=', MAINTENANCE_JOB).execute()
    return next.length === 1 && next[0]?.run_at.getTime() === clock.now().getTime() + 3_600_000
  }, { description: 'one maintenance job, rescheduled an hour ahead' })
  const stats = await deps.db.selectFrom('user_event_stats').select(['type', 'count']).where('company_id', '=', limitedId).orderBy('type').execute()
  assert.deepEqual(stats.map((s) => s.type), ['Claimed', 'Keyed', 'Old', 'Recent'], 'rollups are summaries and stay')
})
