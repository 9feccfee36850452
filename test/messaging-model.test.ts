// The consent promise as a model test (COMPLIANCE.md §4.7.2, SPEC §6) on PostgreSQL: fast-check generates, per run,
// random sequences of subscribe / confirm (Y) / STOP / START / marketing send / transactional send for a few numbers;
// each number's sequence runs in order, the numbers' sequences at once, while three message dispatchers (each on a
// pool of its own, as worker processes are) and a job worker claim whatever comes due. After each run:
// 1. the sandbox carrier received no message, other than the compliance replies, whose recipient lacked an opt-in
//    of that channel and type, for that number, in force when the message was claimed (read from the ledger);
// 2. every opt-out act got exactly one confirmation, which reached the carrier and carries nothing else;
// 3. the consents are those a plain model of COMPLIANCE.md §1.4-1.6 predicts.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { sql, type Kysely } from 'kysely'
import pino from 'pino'
import { SandboxCarrier } from '../src/carriers/sandbox.ts'
import { optOutConfirmation } from '../src/compliance/keywords.ts'
import { createClient, createDb, createPool } from '../src/db/connect.ts'
import type { Database } from '../src/db/schema.ts'
import { startMessageDispatcher } from '../src/features/messages/dispatcher.ts'
import { queueMessage, type NewMessage } from '../src/features/messages/messages.service.ts'
import { findUserId } from '../src/features/users/identity.service.ts'
import { jobHandlers } from '../src/jobs.ts'
import { startWorker } from '../src/queue/runner.ts'
import { buildTestApp, ManualClock } from './helpers/build-test-app.ts'
import { createCompany } from './helpers/company.ts'
import { companyNumber, createTextSource, liftRateLimits, signUpPhone, textIn } from './helpers/inbound.ts'
import { createTestDatabase } from './helpers/test-db.ts'
import { waitFor } from './helpers/wait-for.ts'

const RUNS = Number(process.env.MODEL_RUNS ?? 1000)
const LANES = 4
// Noon or 1 pm in Georgia (770 numbers) tomorrow: inside its sending window, so marketing is sent, not held. Not a
// fixed date in the past: jobs that the API enqueues are due at the database's now(), which the clock must not trail.
const DAY_MS = 86_400_000
const NOON_EASTERN = new Date(Math.ceil(Date.now() / DAY_MS) * DAY_MS + 17 * 3_600_000)
const STOP_TEXTS = ['STOP', 'stop please', 'Unsubscribe', 'please stop texting me', 'Ｓｔｏｐ']

type Command =
  | 'subscribe_marketing'
  | 'subscribe_transactional'
  | 'confirm'
  | 'stop'
  | 'start'
  | 'send_marketing'
  | 'send_transactional'
type ConsentType = 'MARKETING' | 'TRANSACTIONAL'
type State = 'PENDING' | 'SUBSCRIBED' | 'UNSUBSCRIBED'

/** What the model knows of one number: its consents, whether it ever opted out or in, the confirmations owed. */
interface Person {
  consents: Partial<Record<ConsentType, State>>
  everOptedOut: boolean
  optedIn: Set<ConsentType>
  confirmations: number
}

const TYPES: ConsentType[] = ['MARKETING', 'TRANSACTIONAL']

/** A sign-up (ATTENTIVE_API.md §2.2): double opt-in when the source asks or the number once opted out. */
function modelSubscribe(person: Person, type: ConsentType, sourceDoubleOptIn: boolean): void {
  const doubleOptIn = sourceDoubleOptIn || person.everOptedOut
  const current = person.consents[type]
  if (current === 'SUBSCRIBED' || (current === 'PENDING' && doubleOptIn)) return
  person.consents[type] = doubleOptIn ? 'PENDING' : 'SUBSCRIBED'
  if (!doubleOptIn) person.optedIn.add(type)
}

/** Y or START: confirms what is pending, else brings back what a STOP ended of what the number once agreed to. */
function modelAffirm(person: Person): void {
  const pending = TYPES.filter((type) => person.consents[type] === 'PENDING')
  const ended = TYPES.filter((type) => person.consents[type] === 'UNSUBSCRIBED' && person.optedIn.has(type))
  for (const type of pending.length > 0 ? pending : ended) {
    person.consents[type] = 'SUBSCRIBED'
    person.optedIn.add(type)
  }
}

/** STOP ends every type (revoke-all); one confirmation when it ended something (a repeat within 24 h gets none). */
function modelStop(person: Person): void {
  const ended = TYPES.some((type) => person.consents[type] !== 'UNSUBSCRIBED')
  for (const type of TYPES) person.consents[type] = 'UNSUBSCRIBED'
  person.everOptedOut = true
  if (ended) person.confirmations += 1
}

// Instrumentation of the throwaway database, to read "in force at claim time" off the ledger exactly. The claim's
// transaction gets its id when its first statement (the claim, which also reads consent) locks a message row, so
// `claim_xid` orders that statement among the consent changes: a ledger entry was visible to the claim exactly when
// its transaction committed before that statement's snapshot. A deferred trigger notes, just before each consent
// transaction commits, the first transaction id not yet handed out; a claim whose id is at least that began after
// the commit and saw the entry, one whose id is smaller began before it and did not.
const INSTRUMENT = [
  `create table model_claims (message_id bigint not null, claim_xid xid8 not null)`,
  `create index model_claims_message on model_claims (message_id)`,
  `create function model_note_claim() returns trigger language plpgsql as $$
   begin
     if new.state = 'sending' and (old.state <> 'sending' or new.dispatched_at is distinct from old.dispatched_at) then
       insert into model_claims values (new.id, pg_current_xact_id());
     end if;
     return null;
   end $$`,
  `create trigger model_note_claim after update on messages for each row execute function model_note_claim()`,
  `create table model_ledger_commits (ledger_id bigint primary key, next_xid xid8 not null)`,
  `create function model_note_commit() returns trigger language plpgsql as $$
   begin
     insert into model_ledger_commits values (new.id, pg_snapshot_xmax(pg_current_snapshot()));
     return null;
   end $$`,
  `create constraint trigger model_note_commit after insert on consent_ledger deferrable initially deferred
   for each row execute function model_note_commit()`,
]

/**
 * Carrier submissions of non-compliance messages to these numbers whose claim saw no opt-in in force. Only
 * messages after `floor` (the newest id when the run began) are read, so each check stays an index range scan.
 */
async function sendsWithoutConsent(db: Kysely<Database>, companyId: number, phones: string[], floor: number) {
  const result = await sql<{ message_id: number; to_address: string; type: string; seen: string | null }>`
    select m.id as message_id, m.to_address, m.type, seen.new_state || ' ' || seen.address as seen
    from messages m
    join sandbox_submissions s on s.message_id = m.id
    left join model_claims c on c.message_id = m.id
    left join lateral (
      select l.new_state, l.address from consent_ledger l
      join model_ledger_commits k on k.ledger_id = l.id
      where l.company_id = m.company_id and l.user_id = m.user_id and l.channel = m.channel and l.type = m.type
        and c.claim_xid >= k.next_xid
      order by l.id desc limit 1
    ) seen on true
    where m.id > ${floor} and m.company_id = ${companyId} and m.to_address = any(${phones}::text[]) and not m.compliance
      and (seen.new_state is distinct from 'SUBSCRIBED' or seen.address <> m.to_address)
  `.execute(db)
  return result.rows
}

test(`model: ${RUNS} random interleavings of subscribe, Y, STOP, START and sends with three dispatchers`, async (t) => {
  // Registered before the database exists so that it runs before the database is dropped.
  const stops: Array<() => Promise<void>> = []
  t.after(async () => {
    for (const stop of stops) await stop()
  })
  const database = await createTestDatabase(t, { poolSize: 12 })
  for (const statement of INSTRUMENT) await sql.raw(statement).execute(database.db)
  const clock = new ManualClock(NOON_EASTERN)
  const { app, deps } = await buildTestApp(t, { clock, database })
  const company = await createCompany(app, 'Acme')
  const companyId = companyNumber(company)
  await liftRateLimits(app, company)
  await createTextSource(app, company, {
    id: 'doi',
    welcomeText: '{{ company.name }}: welcome! Reply STOP to cancel.',
  })
  await createTextSource(app, company, { id: 'txn', type: 'TRANSACTIONAL', doubleOptIn: false })

  const log = pino({ level: 'silent' })
  const dispatchers = Array.from({ length: 3 }, () => {
    const db = createDb(createPool(database.url, { max: 4 }))
    const carrier = new SandboxCarrier({ db, clock, receiptDelayMs: 0 })
    const dispatcher = startMessageDispatcher({
      db,
      clock,
      log,
      carrier,
      batchSize: 50,
      loops: 1,
      listen: () => createClient(database.url, 'model-dispatcher'),
      // Woken by NOTIFY at each commit; the polls are only a fallback. Receipts do not matter here.
      pollIntervalMs: 500,
      receiptIntervalMs: 1000,
    })
    return { db, dispatcher }
  })
  const worker = startWorker({
    db: deps.db,
    handlers: jobHandlers(deps),
    clock,
    log,
    concurrency: 4,
    listen: deps.connectListener,
  })
  stops.push(async () => {
    await worker.stop()
    for (const { db, dispatcher } of dispatchers) {
      await dispatcher.stop()
      await db.destroy()
    }
  })

  const queueText = async (phone: string, type: ConsentType) => {
    const userId = (await findUserId(deps.db, companyId, { phone })) ?? null
    const message: NewMessage = {
      companyId,
      userId,
      channel: 'TEXT',
      type,
      origin: type === 'MARKETING' ? 'campaign' : 'api',
      to: phone,
      body: `Acme: a ${type} text`,
    }
    await deps.db.transaction().execute((tx) => queueMessage(tx, message, clock.now()))
  }
  const run = async (phone: string, person: Person, command: Command) => {
    switch (command) {
      case 'subscribe_marketing':
        modelSubscribe(person, 'MARKETING', true)
        return signUpPhone(app, company, phone, 'doi')
      case 'subscribe_transactional':
        modelSubscribe(person, 'TRANSACTIONAL', false)
        return signUpPhone(app, company, phone, 'txn')
      case 'confirm':
      case 'start':
        modelAffirm(person)
        return void (await textIn(app, company, phone, command === 'confirm' ? 'Y' : 'START'))
      case 'stop':
        modelStop(person)
        return void (await textIn(app, company, phone, STOP_TEXTS[person.confirmations % STOP_TEXTS.length]!))
      case 'send_marketing':
        return queueText(phone, 'MARKETING')
      case 'send_transactional':
        return queueText(phone, 'TRANSACTIONAL')
    }
  }

  /** One run: each number's commands in order, the numbers at once; then every rule is checked for them. */
  const check = async (plans: Command[][]) => {
    const phones = plans.map(() => `+1770765${String(nextNumber++).padStart(4, '0')}`)
    const people = plans.map((): Person => ({
      consents: {},
      everOptedOut: false,
      optedIn: new Set(),
      confirmations: 0,
    }))
    const newest = await sql<{ id: number | null }>`select max(id) as id from messages`.execute(deps.db)
    const floor = newest.rows[0]?.id ?? 0
    const recent = () =>
      deps.db
        .selectFrom('messages as m')
        .where('m.id', '>', floor)
        .where('m.company_id', '=', companyId)
        .where('m.to_address', 'in', phones)
    await Promise.all(
      plans.map(async (plan, i) => {
        for (const command of plan) await run(phones[i]!, people[i]!, command)
      }),
    )
    await waitFor(
      async () =>
        (await recent().select('m.id').where('m.state', 'in', ['queued', 'sending']).limit(1).execute())
          .length === 0,
      { timeoutMs: 20_000, intervalMs: 10, description: `every message to ${phones.join(', ')} dispatched` },
    )

    assert.deepEqual(
      await sendsWithoutConsent(deps.db, companyId, phones, floor),
      [],
      'sent without consent at claim',
    )
    const confirmations = await recent()
      .leftJoin('sandbox_submissions as s', 's.message_id', 'm.id')
      .select(['m.to_address', 'm.body', sql<boolean>`s.message_id is not null`.as('submitted')])
      .where('m.origin', '=', 'opt_out_confirmation')
      .execute()
    const consents = await deps.db
      .selectFrom('consents')
      .select(['address', 'type', 'state'])
      .where('company_id', '=', companyId)
      .where('channel', '=', 'TEXT')
      .where('address', 'in', phones)
      .execute()
    for (const [i, phone] of phones.entries()) {
      const person = people[i]!
      const one = { to_address: phone, body: optOutConfirmation('Acme'), submitted: true }
      assert.deepEqual(
        confirmations.filter((row) => row.to_address === phone),
        Array.from({ length: person.confirmations }, () => one),
        `opt-out confirmations of ${phone}: one per opt-out, each handed to the carrier`,
      )
      const mine = consents.filter((row) => row.address === phone).map((row) => [row.type, row.state])
      assert.deepEqual(Object.fromEntries(mine), person.consents, `consents of ${phone}`)
    }
  }

  // Four fast-check loops at once, each with its own numbers: runs overlap each other as well as the dispatchers,
  // and the suite stays well under a minute on two cores.
  let nextNumber = 0
  const command = fc.constantFrom<Command>(
    'subscribe_marketing',
    'subscribe_transactional',
    'confirm',
    'stop',
    'start',
    'send_marketing',
    'send_transactional',
  )
  const plans = fc.array(fc.array(command, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 2 })
  await Promise.all(
    Array.from({ length: LANES }, () =>
      fc.assert(fc.asyncProperty(plans, check), { numRuns: Math.ceil(RUNS / LANES) }),
    ),
  )
  const claimed = await sql<{ n: number }>`select count(*)::int as n from model_claims`.execute(deps.db)
  assert.ok((claimed.rows[0]?.n ?? 0) > RUNS, 'the runs sent enough messages to mean something')
})
