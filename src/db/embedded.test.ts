// The embedded store as a user meets it: real `attune serve` processes on a temporary ATTUNE_DATA_DIR.
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { attuneProcesses, call, type AttuneProcess } from '../../test/helpers/attune-process.ts'

const isRoot = process.getuid?.() === 0

interface Printout {
  adminToken: string
  apiKey: string
  curl: string
}

/** Waits for the first-start printout and reads the secrets and the curl line from it. */
async function readPrintout(serve: AttuneProcess): Promise<Printout> {
  await serve.waitForStdout(/^ {2}curl .*$/m)
  const out = serve.stdout()
  return {
    adminToken: /Admin token:\s+(\S+)/.exec(out)?.[1] ?? '',
    apiKey: /API key of "Demo":\s+(\S+)/.exec(out)?.[1] ?? '',
    curl: (/^ {2}(curl .*)$/m.exec(out)?.[1] ?? '').trim(),
  }
}

/** The pid in the cluster's postmaster.pid, or undefined when no server holds it. */
async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').catch(() => '')
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10)
  return Number.isInteger(pid) ? pid : undefined
}

/** The pid on the first line of the data directory's lock file. */
async function lockHolder(dataDir: string): Promise<number> {
  return Number.parseInt(await fs.readFile(path.join(dataDir, 'attune.pid'), 'utf8'), 10)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('attune serve on the embedded store', { concurrency: true }, () => {
  describe('a first start on an empty data directory', () => {
    const processes = attuneProcesses({ after })
    let dataDir = ''
    let serve: AttuneProcess
    let printout: Printout

    before(async () => {
      dataDir = await processes.dataDir()
      serve = await processes.start('serve', { ATTUNE_DATA_DIR: dataDir, PORT: '0' })
      printout = await readPrintout(serve)
    })

    test('prints the admin token and the Demo API key exactly once', () => {
      const out = serve.stdout()
      assert.match(printout.adminToken, /^[\w-]{40,}$/)
      assert.match(printout.apiKey, /^[\w-]{40,}$/)
      assert.equal(out.split('Admin token:').length - 1, 1, out)
      assert.equal(out.split(printout.adminToken).length - 1, 1, out)
      assert.equal(out.split(`API key of "Demo":`).length - 1, 1, out)
    })

    test('/health answers 200 {"status":"ok"}', async () => {
      const health = await call(serve.url(), 'GET', '/health')
      assert.deepEqual(health, { status: 200, body: { status: 'ok' } })
    })

    test('GET /v1/me with the printed key answers 200 for the company "Demo"', async () => {
      const me = await call(serve.url(), 'GET', '/v1/me', printout.apiKey)
      assert.equal(me.status, 200)
      assert.equal(me.body.companyName, 'Demo')
      assert.equal((await call(serve.url(), 'GET', '/admin/v1/companies', printout.adminToken)).status, 200)
    })

    test('the printed curl line works as printed', async (t) => {
      if (spawnSync('curl', ['--version']).status !== 0) return t.skip('curl is not installed')
      assert.match(printout.curl, /^curl -H "Authorization: Bearer [\w-]+" http:\/\/\S+\/v1\/me$/)
      const { stdout } = await promisify(execFile)('sh', ['-c', `${printout.curl} --silent --fail`])
      assert.equal((JSON.parse(stdout) as { companyName: string }).companyName, 'Demo')
    })

    test(
      'as root, PostgreSQL runs as the unprivileged attune user, which owns the cluster directory',
      { skip: !isRoot && 'needs root: only a root start switches PostgreSQL to the attune user' },
      async () => {
        const attuneUid = Number(spawnSync('id', ['-u', 'attune'], { encoding: 'utf8' }).stdout.trim())
        assert.ok(attuneUid > 0, 'the attune user exists and is not root')
        const pid = await postmasterPid(dataDir)
        assert.ok(pid, 'postmaster.pid names the server')
        const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
        const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status)
        assert.deepEqual([Number(uids?.[1]), Number(uids?.[2])], [attuneUid, attuneUid], status)
        assert.equal((await fs.stat(path.join(dataDir, 'pg'))).uid, attuneUid)
        assert.equal((await fs.stat(path.join(dataDir, 'pg', 'PG_VERSION'))).uid, attuneUid)
      },
    )
  })

  test('data survives a SIGKILL (orphaned PostgreSQL) and a SIGTERM, and the demo secrets print only once', async (t) => {
    const processes = attuneProcesses(t)
    const env = { ATTUNE_DATA_DIR: await processes.dataDir(), PORT: '0' }
    const first = await processes.start('serve', env)
    const { adminToken, apiKey } = await readPrintout(first)
    const created = await call(first.url(), 'POST', '/admin/v1/companies', adminToken, { name: 'Kept Co' })
    assert.equal(created.status, 201)

    const orphan = await postmasterPid(env.ATTUNE_DATA_DIR)
    assert.deepEqual(await first.kill('SIGKILL'), { code: null, signal: 'SIGKILL' })
    assert.ok(orphan && isAlive(orphan), 'the PostgreSQL server outlives the SIGKILLed attune')

    const afterKill = await processes.start('serve', env)
    assert.ok(!isAlive(orphan), 'the orphaned server was shut down')
    const companies = await call(afterKill.url(), 'GET', '/admin/v1/companies', adminToken)
    assert.equal(companies.status, 200)
    assert.deepEqual(companies.body.companies.map((c: { name: string }) => c.name).sort(), [
      'Demo',
      'Kept Co',
    ])
    assert.equal(
      companies.body.companies.find((c: { name: string }) => c.name === 'Kept Co').id,
      created.body.company.id,
    )
    assert.doesNotMatch(afterKill.stdout(), /Admin token|API key of/)

    assert.deepEqual(await afterKill.kill('SIGTERM'), { code: 0, signal: null })
    assert.equal(await postmasterPid(env.ATTUNE_DATA_DIR), undefined, 'SIGTERM stops PostgreSQL too')
    await assert.rejects(fs.access(path.join(env.ATTUNE_DATA_DIR, 'attune.pid')), 'SIGTERM releases the lock')

    const afterTerm = await processes.start('serve', env)
    const again = await call(afterTerm.url(), 'GET', '/admin/v1/companies', adminToken)
    assert.deepEqual(again.body.companies.map((c: { name: string }) => c.name).sort(), ['Demo', 'Kept Co'])
    assert.equal((await call(afterTerm.url(), 'GET', '/v1/me', apiKey)).body.companyName, 'Demo')
    assert.doesNotMatch(afterTerm.stdout(), /Admin token|API key of/)
  })

  test('a second serve or a migrate on a data directory in use exits at once naming ATTUNE_DATA_DIR and the holder', async (t) => {
    const processes = attuneProcesses(t)
    const env = { ATTUNE_DATA_DIR: await processes.dataDir(), PORT: '0' }
    const first = await processes.start('serve', env)
    const { apiKey } = await readPrintout(first)
    const server = await postmasterPid(env.ATTUNE_DATA_DIR)

    const began = Date.now()
    const others = ['serve', 'migrate'].map((role) => processes.spawn(role, env))
    for (const other of others) {
      const exit = await other.exited
      assert.equal(exit.code, 1, other.stderr())
      assert.ok(Date.now() - began < 10_000, `took ${Date.now() - began} ms`)
      assert.equal(other.errorLines().length, 1, other.stderr())
      const [line = ''] = other.errorLines()
      assert.match(line, /^attune: ATTUNE_DATA_DIR /)
      assert.ok(line.includes(env.ATTUNE_DATA_DIR), line)
      assert.match(line, new RegExp(`\\bpid ${first.pid}\\b`))
    }

    assert.deepEqual(await call(first.url(), 'GET', '/health'), { status: 200, body: { status: 'ok' } })
    assert.equal((await call(first.url(), 'GET', '/v1/me', apiKey)).body.companyName, 'Demo')
    assert.equal(await postmasterPid(env.ATTUNE_DATA_DIR), server, 'the first server was left alone')
    assert.equal(await lockHolder(env.ATTUNE_DATA_DIR), first.pid)
  })

  test('a leftover attune.pid naming a dead process does not block a start', async (t) => {
    const processes = attuneProcesses(t)
    const env = { ATTUNE_DATA_DIR: await processes.dataDir(), PORT: '0' }
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
    const deadPid = Number(gone.stdout.trim())
    assert.ok(!isAlive(deadPid))
    await fs.writeFile(path.join(env.ATTUNE_DATA_DIR, 'attune.pid'), `${deadPid}\n`)

    const serve = await processes.start('serve', env)
    assert.deepEqual(await call(serve.url(), 'GET', '/health'), { status: 200, body: { status: 'ok' } })
    assert.equal(await lockHolder(env.ATTUNE_DATA_DIR), serve.pid)
  })

  test('a leftover attune.pid whose pid now names an unrelated live process does not block a start', async (t) => {
    const processes = attuneProcesses(t)
    const env = { ATTUNE_DATA_DIR: await processes.dataDir(), PORT: '0' }
    // After a restart pids repeat: the old holder's pid is now some other process, started at another time.
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' })
    t.after(() => unrelated.kill('SIGKILL'))
    await fs.writeFile(path.join(env.ATTUNE_DATA_DIR, 'attune.pid'), `${unrelated.pid}\n1\n`)

    const serve = await processes.start('serve', env)
    assert.deepEqual(await call(serve.url(), 'GET', '/health'), { status: 200, body: { status: 'ok' } })
    assert.equal(await lockHolder(env.ATTUNE_DATA_DIR), serve.pid)
    assert.equal(unrelated.exitCode, null, 'the unrelated process was left alone')
  })

  test('a taken PORT exits with one line naming PORT and stops PostgreSQL; neither it nor a worker uses up the demo secrets', async (t) => {
    const processes = attuneProcesses(t)
    const holder = net.createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())))
    const port = (holder.address() as net.AddressInfo).port
    const dataDir = await processes.dataDir()
    const worker = await processes.start('worker', { ATTUNE_DATA_DIR: dataDir })
    assert.deepEqual(await worker.kill('SIGTERM'), { code: 0, signal: null })

    const refused = processes.spawn('serve', { ATTUNE_DATA_DIR: dataDir, PORT: String(port) })
    assert.equal((await refused.exited).code, 1, refused.stderr())
    assert.equal(refused.errorLines().length, 1, refused.stderr())
    assert.match(refused.errorLines()[0] ?? '', new RegExp(`PORT ${port}\\b.*in use.*set PORT`))
    assert.equal(await postmasterPid(dataDir), undefined, 'its PostgreSQL was stopped')

    const next = await processes.start('serve', { ATTUNE_DATA_DIR: dataDir, PORT: '0' })
    const { apiKey } = await readPrintout(next)
    assert.equal((await call(next.url(), 'GET', '/v1/me', apiKey)).body.companyName, 'Demo')
  })
})
