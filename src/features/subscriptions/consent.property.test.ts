import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { Transaction } from 'kysely'
import { createTestDatabase } from '../../../test/helpers/test-db.ts'
import type { Database } from '../../db/schema.ts'
import { insertCompany } from '../companies/companies.queries.ts'
import { createSignUpSource } from '../sign-up-sources/sign-up-sources.service.ts'
import { resolveUser } from '../users/identity.service.ts'
import { confirmPendingOptIn, optIn, optOut } from './consent.service.ts'
import type { ConsentState } from './consents.schema.ts'
import { subscribe, unsubscribe, type RequestContext } from './subscriptions.service.ts'

// Random sequences of what can happen to consent, run through the real services on PostgreSQL and, beside them,
// through a model a reader can check by eye. After every step the stored consents equal the model's; at the end
// the ledger shows no SUBSCRIBED without an opt-in act and replays to the current state. Each run is one
// transaction that is rolled back, so runs start from nothing and the append-only ledger needs no DELETE.

const PHONES = ['+17707651750', '+14045550123']
const EMAILS = ['a@example.com', 'b@example.com']
const now = new Date('2026-01-15T15:00:00Z')

type Command =
  | {
      kind: 'subscribe'
      phone?: number
      email?: number
      source: 'doi' | 'single' | 'txn'
      singleOptIn: boolean
    }
  | { kind: 'confirm'; phone: number }
  | { kind: 'unsubscribe'; phone?: number; email?: number; type?: 'MARKETING' | 'TRANSACTIONAL' }
  | { kind: 'stop' | 'start'; phone: number }
  | { kind: 'link'; phone: number; email: number }

const index = fc.integer({ min: 0, max: 1 })
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record(
    {
      kind: fc.constant('subscribe' as const),
      phone: index,
      email: index,
      source: fc.constantFrom('doi' as const, 'single' as const, 'txn' as const),
      singleOptIn: fc.boolean(),
    },
    { requiredKeys: ['kind', 'source', 'singleOptIn'] },
  ),
  fc.record({ kind: fc.constant('confirm' as const), phone: index }),
  fc.record(
    {
      kind: fc.constant('unsubscribe' as const),
      phone: index,
      email: index,
      type: fc.constantFrom('MARKETING' as const, 'TRANSACTIONAL' as const),
    },
    { requiredKeys: ['kind'] },
  ),
  fc.record({ kind: fc.constantFrom('stop' as const, 'start' as const), phone: index }),
  fc.record({ kind: fc.constant('link' as const), phone: index, email: index }),
)

// ---- the model -------------------------------------------------------------------------------------------
interface Consent {
  state: ConsentState
  address: string
}
interface Profile {
  ids: Set<string>
  consents: Map<string, Consent>
}

class Model {
  profiles: Profile[] = []
  optedOut = new Set<string>()

  find(id: string): Profile | undefined {
    return this.profiles.find((p) => p.ids.has(id))
  }
  resolve(ids: string[]): Profile {
    const found = this.profiles.filter((p) => ids.some((id) => p.ids.has(id)))
    if (found.length === 0) {
      const profile = { ids: new Set(ids), consents: new Map<string, Consent>() }
      this.profiles.push(profile)
      return profile
    }
    const [survivor, ...others] = found
    for (const other of others) this.merge(survivor as Profile, other)
    for (const id of ids) survivor?.ids.add(id)
    return survivor as Profile
  }
  private merge(survivor: Profile, other: Profile): void {
    for (const [key, theirs] of other.consents) {
      const ours = survivor.consents.get(key)
      if (!ours) survivor.consents.set(key, { ...theirs })
      else if (theirs.state === 'UNSUBSCRIBED' && ours.state !== 'UNSUBSCRIBED')
        this.set(survivor, key, 'UNSUBSCRIBED', ours.address)
      else if (theirs.state === 'SUBSCRIBED' && ours.state === 'PENDING' && theirs.address === ours.address)
        ours.state = 'SUBSCRIBED'
    }
    for (const id of other.ids) survivor.ids.add(id)
    this.profiles = this.profiles.filter((p) => p !== other)
  }
  set(profile: Profile, key: string, state: ConsentState, address: string): void {
    profile.consents.set(key, { state, address })
    if (state === 'UNSUBSCRIBED' && key.startsWith('TEXT')) this.optedOut.add(address)
  }
  optOut(profile: Profile, channel: string, types: string[], address: string | undefined): void {
    for (const type of types) {
      const row = profile.consents.get(`${channel} ${type}`)
      const to = address ?? row?.address
      if (to === undefined || row?.state === 'UNSUBSCRIBED') continue
      this.set(profile, `${channel} ${type}`, 'UNSUBSCRIBED', to)
    }
  }

  apply(c: Command): void {
    const phone =
      c.kind !== 'unsubscribe' && c.kind !== 'subscribe'
        ? PHONES[c.phone]
        : c.phone !== undefined
          ? PHONES[c.phone]
          : undefined
    const email =
      (c.kind === 'subscribe' || c.kind === 'unsubscribe' || c.kind === 'link') && c.email !== undefined
        ? EMAILS[c.email]
        : undefined
    if (c.kind === 'subscribe') {
      if (phone === undefined && email === undefined) return
      const type = c.source === 'txn' ? 'TRANSACTIONAL' : 'MARKETING'
      const profile = this.resolve([phone, email].filter((v) => v !== undefined))
      for (const [channel, address] of [
        ['TEXT', phone],
        ['EMAIL', email],
      ] as const) {
        if (address === undefined) continue
        const row = profile.consents.get(`${channel} ${type}`)
        const doi =
          channel === 'TEXT' && ((c.source === 'doi' && !c.singleOptIn) || this.optedOut.has(address))
        if (row?.address === address && (row.state === 'SUBSCRIBED' || (row.state === 'PENDING' && doi)))
          continue
        this.set(profile, `${channel} ${type}`, doi ? 'PENDING' : 'SUBSCRIBED', address)
      }
    } else if (c.kind === 'confirm') {
      const profile = this.find(phone as string)
      for (const [key, row] of profile?.consents ?? [])
        if (key.startsWith('TEXT') && row.state === 'PENDING') row.state = 'SUBSCRIBED'
    } else if (c.kind === 'unsubscribe') {
      for (const [channel, address] of [
        ['TEXT', phone],
        ['EMAIL', email],
      ] as const) {
        if (address === undefined) continue
        if (c.type === undefined) {
          const profile = this.find(address)
          if (profile) this.optOut(profile, channel, ['MARKETING', 'TRANSACTIONAL'], undefined)
        } else this.optOut(this.resolve([address]), channel, [c.type], address)
      }
    } else if (c.kind === 'stop') {
      this.optOut(this.resolve([phone as string]), 'TEXT', ['MARKETING', 'TRANSACTIONAL'], phone)
    } else if (c.kind === 'start') {
      const profile = this.resolve([phone as string])
      for (const [key, row] of profile.consents) {
        if (key.startsWith('TEXT') && !(row.state === 'SUBSCRIBED' && row.address === phone))
          this.set(profile, key, 'SUBSCRIBED', phone as string)
      }
    } else this.resolve([phone as string, email as string])
  }
}

// ---- the system under test -------------------------------------------------------------------------------
async function run(tx: Transaction<Database>, ctx: RequestContext, c: Command): Promise<void> {
  const phone = 'phone' in c && c.phone !== undefined ? PHONES[c.phone] : undefined
  const email = 'email' in c && c.email !== undefined ? EMAILS[c.email] : undefined
  const keyword = { kind: 'keyword' as const, id: c.kind.toUpperCase() }
  switch (c.kind) {
    case 'subscribe':
      if (phone === undefined && email === undefined) return
      await subscribe(tx, ctx, {
        user: { phone, email },
        signUpSourceId: c.source,
        singleOptIn: c.singleOptIn,
      })
      return
    case 'confirm': {
      const user = await tx
        .selectFrom('user_identifiers')
        .select('user_id')
        .where('value', '=', phone as string)
        .executeTakeFirst()
      if (user) await confirmPendingOptIn(tx, ctx.companyId, user.user_id, { now })
      return
    }
    case 'unsubscribe':
      if (phone === undefined && email === undefined) return
      await unsubscribe(tx, ctx, {
        user: { phone, email },
        ...(c.type
          ? {
              subscriptions: [
                { type: c.type, channel: 'TEXT' as const },
                { type: c.type, channel: 'EMAIL' as const },
              ],
            }
          : {}),
      })
      return
    case 'stop':
    case 'start': {
      const { userId } = await resolveUser(tx, ctx.companyId, { phone }, now)
      if (c.kind === 'stop')
        await optOut(tx, ctx.companyId, userId, {
          channel: 'TEXT',
          type: 'MARKETING',
          actor: keyword,
          now,
          address: phone,
        })
      else await optIn(tx, ctx.companyId, userId, { channel: 'TEXT', actor: keyword, now, address: phone })
      return
    }
    case 'link':
      await resolveUser(tx, ctx.companyId, { phone, email }, now)
  }
}

/** The stored consents keyed by "<identifier> <channel> <type>", for every identifier of each profile. */
async function stored(tx: Transaction<Database>, companyId: number) {
  const rows = await tx
    .selectFrom('consents as c')
    .innerJoin('user_identifiers as i', 'i.user_id', 'c.user_id')
    .select(['i.value', 'c.channel', 'c.type', 'c.state', 'c.address'])
    .where('c.company_id', '=', companyId)
    .execute()
  return new Map(rows.map((r) => [`${r.value} ${r.channel} ${r.type}`, `${r.state} ${r.address}`]))
}

function expected(model: Model) {
  const map = new Map<string, string>()
  for (const profile of model.profiles) {
    for (const id of profile.ids)
      for (const [key, c] of profile.consents) map.set(`${id} ${key}`, `${c.state} ${c.address}`)
  }
  return map
}

async function checkLedger(tx: Transaction<Database>, companyId: number): Promise<void> {
  const ledger = await tx
    .selectFrom('consent_ledger')
    .selectAll()
    .where('company_id', '=', companyId)
    .orderBy('id')
    .execute()
  const acts = new Set(['subscribe', 'confirm', 'opt_in'])
  for (const [i, row] of ledger.entries()) {
    if (row.new_state !== 'SUBSCRIBED') continue
    const earlier = ledger.slice(0, i + 1)
    const act = earlier.find(
      (l) =>
        acts.has(l.reason) &&
        l.new_state === 'SUBSCRIBED' &&
        l.channel === row.channel &&
        l.type === row.type &&
        l.address === row.address,
    )
    assert.ok(act, `SUBSCRIBED without an opt-in act: ${JSON.stringify(row)}`)
    if (row.reason === 'subscribe' && row.channel === 'TEXT') {
      const out = earlier.find(
        (l) => l.new_state === 'UNSUBSCRIBED' && l.channel === 'TEXT' && l.address === row.address,
      )
      assert.equal(out, undefined, `an API sign-up re-subscribed ${row.address} without double opt-in`)
    }
  }
  const current = await tx.selectFrom('consents').selectAll().where('company_id', '=', companyId).execute()
  for (const consent of current) {
    const rows = ledger.filter(
      (l) => l.user_id === consent.user_id && l.channel === consent.channel && l.type === consent.type,
    )
    let state: ConsentState | null = null
    for (const row of rows) {
      assert.equal(row.previous_state, state, `ledger chain broken at ${JSON.stringify(row)}`)
      state = row.new_state
    }
    assert.equal(state, consent.state, `ledger replays to ${state}, current is ${consent.state}`)
  }
}

class Rollback extends Error {}

test('consent under 1,000 random sequences matches the model, never subscribes without an opt-in act, and its ledger replays', async (t) => {
  const { db } = await createTestDatabase(t, { poolSize: 2 })
  const companyId = await db.transaction().execute(async (tx) => {
    const company = await insertCompany(tx, { name: 'Property' })
    const source = { channels: ['TEXT', 'EMAIL'] as Array<'TEXT' | 'EMAIL'>, disclosure: 'Terms' }
    await createSignUpSource(
      tx,
      company.id,
      { ...source, id: 'doi', name: 'DOI', type: 'MARKETING', doubleOptIn: true },
      now,
    )
    await createSignUpSource(
      tx,
      company.id,
      { ...source, id: 'single', name: 'Single', type: 'MARKETING', doubleOptIn: false },
      now,
    )
    await createSignUpSource(
      tx,
      company.id,
      { ...source, id: 'txn', name: 'Txn', type: 'TRANSACTIONAL', doubleOptIn: false },
      now,
    )
    return company.id
  })
  const ctx: RequestContext = { companyId, settings: {}, keyId: 1, now }
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 8 }), async (commands) => {
      await db
        .transaction()
        .execute(async (tx) => {
          const model = new Model()
          for (const c of commands) {
            await run(tx, ctx, c)
            model.apply(c)
            assert.deepEqual(await stored(tx, companyId), expected(model), `after ${JSON.stringify(c)}`)
          }
          await checkLedger(tx, companyId)
          throw new Rollback()
        })
        .catch((error: unknown) => {
          if (!(error instanceof Rollback)) throw error
        })
    }),
    { numRuns: 1000 },
  )
})
