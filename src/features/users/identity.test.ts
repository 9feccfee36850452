import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sql } from 'kysely'
import { createTestDatabase } from '../../../test/helpers/test-db.ts'
import { insertCompany } from '../companies/companies.queries.ts'
import { findUserId, resolveUser } from './identity.service.ts'
import { forgetUserTables } from './merge.queries.ts'

const now = new Date('2026-01-15T15:00:00Z')

async function setup(t: Parameters<typeof createTestDatabase>[0]) {
  const { db } = await createTestDatabase(t)
  const company = await insertCompany(db, { name: 'Acme' })
  return { db, companyId: company.id }
}

test('an unknown identifier creates a profile without consent, and the same identifier finds it again', async (t) => {
  const { db, companyId } = await setup(t)
  const first = await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { phone: '+17707651750' }, now))
  assert.equal(first.created, true)
  const again = await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { phone: '+17707651750' }, now))
  assert.deepEqual(again, { userId: first.userId, created: false, mergedFrom: [] })
  const users = await db.selectFrom('users').selectAll().execute()
  assert.equal(users.length, 1)
})

test('an email matches case-insensitively, is stored as given, and a later phone is linked to the same profile', async (t) => {
  const { db, companyId } = await setup(t)
  const byEmail = await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { email: 'Jane@Example.com' }, now))
  const linked = await db
    .transaction()
    .execute((tx) =>
      resolveUser(
        tx,
        companyId,
        { phone: '+17707651750', email: 'jane@example.COM', clientUserId: 'u-1' },
        now,
      ),
    )
  assert.deepEqual(linked, { userId: byEmail.userId, created: false, mergedFrom: [] })
  const identifiers = await db
    .selectFrom('user_identifiers')
    .select(['kind', 'value', 'user_id'])
    .orderBy('kind')
    .execute()
  assert.deepEqual(identifiers, [
    { kind: 'client_user_id', value: 'u-1', user_id: byEmail.userId },
    { kind: 'email', value: 'Jane@Example.com', user_id: byEmail.userId },
    { kind: 'phone', value: '+17707651750', user_id: byEmail.userId },
  ])
  assert.equal(await findUserId(db, companyId, { clientUserId: 'u-1' }), byEmail.userId)
  assert.equal(await findUserId(db, companyId, { clientUserId: 'U-1' }), undefined)
})

test('identifiers naming two profiles merge them into the oldest, moving rows of every user_id table, and record it', async (t) => {
  const { db, companyId } = await setup(t)
  // A table the merge code has never heard of, standing for ones later features add (events, messages).
  await sql`create table merge_probe (company_id bigint, user_id bigint, label text, unique (user_id, label))`.execute(
    db,
  )
  forgetUserTables()
  t.after(forgetUserTables)
  const older = await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { email: 'jane@example.com' }, now))
  const newer = await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { phone: '+17707651750' }, now))
  await sql`insert into merge_probe values (${companyId}, ${older.userId}, 'shared'), (${companyId}, ${newer.userId}, 'shared'),
            (${companyId}, ${newer.userId}, 'only-newer')`.execute(db)

  const merged = await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { phone: '+17707651750', email: 'jane@example.com' }, now))
  assert.deepEqual(merged, { userId: older.userId, created: false, mergedFrom: [newer.userId] })
  const probe = await sql<{
    user_id: number
    label: string
  }>`select user_id, label from merge_probe order by label`.execute(db)
  assert.deepEqual(probe.rows, [
    { user_id: older.userId, label: 'only-newer' },
    { user_id: older.userId, label: 'shared' },
  ])
  const owners = await db.selectFrom('user_identifiers').select('user_id').distinct().execute()
  assert.deepEqual(owners, [{ user_id: older.userId }])
  const gone = await db
    .selectFrom('users')
    .select('merged_into_id')
    .where('id', '=', newer.userId)
    .executeTakeFirstOrThrow()
  assert.equal(gone.merged_into_id, older.userId)
  const record = await db.selectFrom('user_merges').selectAll().executeTakeFirstOrThrow()
  assert.equal(record.survivor_id, older.userId)
  assert.equal(record.merged_id, newer.userId)
  assert.deepEqual((record.details as { moved: Record<string, number> }).moved.merge_probe, 1)
  assert.equal(await findUserId(db, companyId, { phone: '+17707651750' }), older.userId)
})

test('merging a profile that absorbed another earlier keeps the chain flat', async (t) => {
  const { db, companyId } = await setup(t)
  const a = await db.transaction().execute((tx) => resolveUser(tx, companyId, { clientUserId: 'a' }, now))
  const b = await db.transaction().execute((tx) => resolveUser(tx, companyId, { clientUserId: 'b' }, now))
  const c = await db.transaction().execute((tx) => resolveUser(tx, companyId, { clientUserId: 'c' }, now))
  await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { clientUserId: 'b', shopifyId: 's' }, now))
  await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { clientUserId: 'c', klaviyoId: 'k' }, now))
  await db
    .transaction()
    .execute((tx) =>
      resolveUser(tx, companyId, { clientUserId: 'b', customIdentifiers: [{ name: 'x', value: '1' }] }, now),
    )
  await db
    .transaction()
    .execute((tx) =>
      resolveUser(tx, companyId, { clientUserId: 'c', customIdentifiers: [{ name: 'x', value: '1' }] }, now),
    )
  await db
    .transaction()
    .execute((tx) => resolveUser(tx, companyId, { clientUserId: 'a', shopifyId: 's' }, now))
  const rows = await db.selectFrom('users').select(['id', 'merged_into_id']).orderBy('id').execute()
  assert.deepEqual(rows, [
    { id: a.userId, merged_into_id: null },
    { id: b.userId, merged_into_id: a.userId },
    { id: c.userId, merged_into_id: a.userId },
  ])
})

test('two first-time resolutions of one phone at the same time make one profile', async (t) => {
  const { db, companyId } = await setup(t)
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      db
        .transaction()
        .execute((tx) =>
          resolveUser(tx, companyId, { phone: '+17707651750', clientUserId: `c${i % 2}` }, now),
        ),
    ),
  )
  assert.equal(new Set(results.map((r) => r.userId)).size, 1)
  const live = await db.selectFrom('users').select('id').where('merged_into_id', 'is', null).execute()
  assert.equal(live.length, 1)
})

test('the same phone in two companies is two profiles', async (t) => {
  const { db, companyId } = await setup(t)
  const other = await insertCompany(db, { name: 'Other' })
  const a = await db.transaction().execute((tx) => resolveUser(tx, companyId, { phone: '+17707651750' }, now))
  const b = await db.transaction().execute((tx) => resolveUser(tx, other.id, { phone: '+17707651750' }, now))
  assert.notEqual(a.userId, b.userId)
  assert.equal(await findUserId(db, other.id, { phone: '+17707651750' }), b.userId)
})
