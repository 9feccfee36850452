import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { ManualClock } from '../../../test/helpers/build-test-app.ts'
import { createCompany } from '../../../test/helpers/company.ts'
import { waitFor } from '../../../test/helpers/wait-for.ts'
import { findUserId } from '../users/identity.service.ts'
import {
  companyNumber,
  historyOf,
  messageRow,
  subscribePhone,
  buildMessagingApp,
} from './messages.fixtures.ts'
import { queueMessage } from './messages.service.ts'

const WORKER_PROCESS = fileURLToPath(
  new URL('../../../test/helpers/dispatch-worker-process.ts', import.meta.url),
)
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const NOON_EASTERN = '2026-03-04T17:00:00Z'
const LEASE_MS = 60_000

test('a dispatcher killed after the carrier accepted, before recording it, causes no second submission', async (t) => {
  const clock = new ManualClock(NOON_EASTERN)
  const { app, deps, database, startDispatcher } = await buildMessagingApp(t, { clock })
  const company = await createCompany(app)
  const companyId = companyNumber(company)
  const phones = ['+17707651750', '+17707651751', '+17707651752']
  const ids: number[] = []
  for (const phone of phones) {
    await subscribePhone(app, company, phone)
    const userId = (await findUserId(deps.db, companyId, { phone })) ?? null
    const message = {
      companyId,
      userId,
      channel: 'TEXT' as const,
      type: 'MARKETING' as const,
      origin: 'api' as const,
      to: phone,
      body: 'Acme: sale',
    }
    ids.push((await deps.db.transaction().execute((tx) => queueMessage(tx, message, clock.now()))).id)
  }

  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_PROCESS, database.url, NOON_EASTERN], {
    cwd: REPO_ROOT,
    env: { ...process.env, ATTUNE_TEST_KILL_AFTER_HANDOFF: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, sig) => resolve([code, sig])),
  )
  assert.equal(signal, 'SIGKILL', `the worker died of its own SIGKILL after the hand-off: ${stdout}`)
  assert.match(stdout, /handed off/)

  const sandboxCount = async (id: number) =>
    (
      await deps.db
        .selectFrom('sandbox_submissions')
        .select('submissions')
        .where('message_id', '=', id)
        .executeTakeFirst()
    )?.submissions
  for (const id of ids) {
    assert.equal(
      (await messageRow(deps.db, id)).state,
      'sending',
      'the carrier has it, Attune has not recorded it',
    )
    assert.equal(await sandboxCount(id), 1)
  }

  // Another dispatcher, once the dead one's lease is over: it must ask the carrier, not hand the messages over again.
  clock.advance(LEASE_MS + 1)
  const dispatcher = startDispatcher()
  for (const id of ids) {
    await waitFor(async () => (await messageRow(deps.db, id)).state === 'delivered')
    assert.equal(await dispatcher.sandbox.submissionCount(id), 1, `message ${id} was submitted once`)
    assert.deepEqual(await historyOf(deps.db, id), ['sending', 'sent', 'delivered'])
    assert.match((await messageRow(deps.db, id)).provider_id ?? '', /^SB/)
  }
})
