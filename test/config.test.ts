// The environment as Attune reads it: defaults, and one clear line for each bad value.
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { ConfigError, loadConfig } from '../src/config.ts'
import { attuneProcesses } from './helpers/attune-process.ts'

const cwd = path.resolve('/srv/attune')

test('with no environment the defaults are PORT 8080, HOST 127.0.0.1, ./data made absolute and LOG_LEVEL info', () => {
  const config = loadConfig({}, cwd)
  assert.equal(config.port, 8080)
  assert.equal(config.host, '127.0.0.1')
  assert.equal(config.dataDir, path.join(cwd, 'data'))
  assert.equal(config.logLevel, 'info')
  assert.equal(config.databaseUrl, undefined)
  assert.equal(config.adminToken, undefined)
  assert.equal(config.apiProcesses, 1)
  assert.equal(config.publicUrl, 'http://127.0.0.1:8080')
  assert.ok(Object.isFrozen(config))
})

test('given values are decoded: numbers, an absolute data dir kept, a public URL without its trailing slash', () => {
  const config = loadConfig(
    {
      PORT: '9090',
      HOST: '0.0.0.0',
      ATTUNE_DATA_DIR: '/var/lib/attune-data',
      LOG_LEVEL: 'warn',
      DATABASE_URL: 'postgresql://u:p@db.internal:5432/attune',
      ATTUNE_PUBLIC_URL: 'https://sms.example.com/',
      ATTUNE_API_PROCESSES: '4',
      ATTUNE_WEBHOOK_ALLOW_PRIVATE: 'true',
    },
    cwd,
  )
  assert.equal(config.port, 9090)
  assert.equal(config.host, '0.0.0.0')
  assert.equal(config.dataDir, '/var/lib/attune-data')
  assert.equal(config.logLevel, 'warn')
  assert.equal(config.databaseUrl, 'postgresql://u:p@db.internal:5432/attune')
  assert.equal(config.publicUrl, 'https://sms.example.com')
  assert.equal(config.apiProcesses, 4)
  assert.equal(config.webhookAllowPrivate, true)
})

test('an empty variable counts as unset', () => {
  assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }, cwd).port, 8080)
  assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }, cwd).databaseUrl, undefined)
})

// [variable, bad value, words of the expected form the message must quote]
const badValues: Array<[name: string, value: string, expected: string]> = [
  ['PORT', 'abc', 'a TCP port 0-65535'],
  ['PORT', '70000', 'a TCP port 0-65535'],
  ['PORT', '-1', 'a TCP port 0-65535'],
  ['PORT', '1.5', 'a TCP port 0-65535'],
  ['PORT', 'true', 'a TCP port 0-65535'],
  ['PORT', '0x50', 'a TCP port 0-65535'],
  ['PORT', '8e3', 'a TCP port 0-65535'],
  ['DATABASE_URL', 'mysql://root:hunter2@db/attune', 'a postgres:// URL'],
  ['DATABASE_POOL_SIZE', '0', 'an integer 1-500'],
  ['LOG_LEVEL', 'loud', 'one of fatal, error, warn, info, debug, trace, silent'],
  ['ATTUNE_PUBLIC_URL', 'ftp://x', 'an http(s):// base URL'],
  ['ATTUNE_ADMIN_TOKEN', 'short-secret', 'a secret of at least 24 characters'],
  ['ATTUNE_API_PROCESSES', '0', 'an integer 1-1000'],
  ['ATTUNE_WORKER_CONCURRENCY', '2.5', 'an integer 1-1000'],
  ['ATTUNE_JOB_LEASE_SECONDS', '0', '1-86400'],
  ['ATTUNE_WEBHOOK_ALLOW_PRIVATE', 'yes', 'true or false'],
]
const secrets = new Set(['DATABASE_URL', 'ATTUNE_ADMIN_TOKEN'])

for (const [name, value, expected] of badValues) {
  test(`${name}=${value} is refused with a ConfigError naming ${name} and the expected form`, () => {
    assert.throws(
      () => loadConfig({ [name]: value }, cwd),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error))
        assert.ok(error.message.startsWith(`${name}: `), error.message)
        assert.ok(error.message.includes('is not valid; expected '), error.message)
        assert.ok(error.message.includes(expected), error.message)
        assert.equal(error.message.split('\n').length, 1)
        if (secrets.has(name)) {
          assert.ok(!error.message.includes(value), `the secret was echoed: ${error.message}`)
          assert.ok(!error.message.includes('hunter2'))
        } else {
          assert.ok(error.message.includes(`'${value}'`), `the bad value is quoted: ${error.message}`)
        }
        return true
      },
    )
  })
}

test('attune serve with PORT=abc exits 2 with exactly one line on stderr naming PORT', async (t) => {
  const processes = attuneProcesses(t)
  const serve = processes.spawn('serve', { PORT: 'abc', ATTUNE_DATA_DIR: await processes.dataDir() })
  assert.deepEqual(await serve.exited, { code: 2, signal: null })
  const lines = serve
    .stderr()
    .split('\n')
    .filter((line) => line !== '')
  assert.deepEqual(lines, ["attune: PORT: 'abc' is not valid; expected a TCP port 0-65535"])
  assert.equal(serve.stdout(), '')
})
