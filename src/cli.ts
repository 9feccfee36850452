import { parseArgs } from 'node:util'
import pino from 'pino'
import { ConfigError, loadConfig, type Config } from './config.ts'
import { DataDirBusyError } from './db/embedded.ts'
import { openStore, startServer, type Roles } from './server.ts'

const USAGE = `Usage: attune <command>

  serve                 API and workers in one process (what \`npm start\` runs)
  api                   the API only
  worker                the workers only
  migrate               apply database migrations and exit
  admin <resource> ...  operator commands over the admin API (ATTUNE_URL, ATTUNE_ADMIN_TOKEN):
    admin companies list
    admin companies create --name <name> [--domain <host>]
    admin keys list <companyId>
    admin keys create <companyId> --name <name> --scopes <scope,scope,...>
    admin keys revoke <companyId> <keyId>

Configuration comes from the environment; see README.md.`

const ROLES: Record<string, Roles> = {
  serve: { api: true, worker: true },
  api: { api: true, worker: false },
  worker: { api: false, worker: true },
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE)
    return command ? 0 : 2
  }
  const roles = ROLES[command]
  if (roles) return runServer(loadConfigOrExit(), roles)
  if (command === 'migrate') return runMigrate(loadConfigOrExit())
  if (command === 'admin') return runAdmin(rest)
  console.error(`attune: unknown command '${command}'\n\n${USAGE}`)
  return 2
}

function loadConfigOrExit(): Config {
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`attune: ${error.message}`)
      process.exit(2)
    }
    throw error
  }
}

async function runServer(config: Config, roles: Roles): Promise<number> {
  let server
  try {
    server = await startServer(config, roles)
  } catch (error) {
    return reportStartFailure(error, config)
  }
  if (server.demo && server.url) {
    const base = server.url.replace('127.0.0.1', 'localhost')
    console.log(
      [
        '',
        `Attune is running at ${base}  (API reference: ${base}/docs)`,
        '',
        'First start on an empty store: these secrets are shown once and never again.',
        `  Admin token:             ${server.demo.adminToken}`,
        `  API key of "Demo":       ${server.demo.apiKey}`,
        '',
        'Try it:',
        `  curl -H "Authorization: Bearer ${server.demo.apiKey}" ${base}/v1/me`,
        '',
      ].join('\n'),
    )
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      server.deps.log.info({ signal }, 'shutting down')
      const force = setTimeout(() => process.exit(1), 30_000)
      force.unref()
      void server.close().then(resolve)
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
  return 0
}

/** One line and exit code 1 for a start the operator can fix (busy data directory, taken port); rethrows faults. */
function reportStartFailure(error: unknown, config: Config): number {
  if (error instanceof DataDirBusyError) {
    console.error(`attune: ${error.message}`)
    return 1
  }
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`attune: PORT ${config.port} on ${config.host} is already in use; set PORT to a free port`)
    return 1
  }
  throw error
}

async function runMigrate(config: Config): Promise<number> {
  const log = pino({ level: config.logLevel })
  let store
  try {
    store = await openStore(config, log)
  } catch (error) {
    return reportStartFailure(error, config)
  }
  await store.db.destroy()
  await store.embedded?.stop()
  log.info('migrations up to date')
  return 0
}

async function runAdmin(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string' }, domain: { type: 'string' }, scopes: { type: 'string' } },
  })
  const base = (process.env.ATTUNE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`).replace(/\/+$/, '')
  const token = process.env.ATTUNE_ADMIN_TOKEN
  if (!token) {
    console.error('attune admin: set ATTUNE_ADMIN_TOKEN to the admin token (printed on first start)')
    return 2
  }
  const [resource, action, companyId, keyId] = positionals
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    const text = await response.text()
    if (text) console.log(text)
    return response.ok ? 0 : 1
  }
  if (resource === 'companies' && action === 'list') return call('GET', '/companies')
  if (resource === 'companies' && action === 'create' && values.name) {
    return call('POST', '/companies', { name: values.name, ...(values.domain ? { domain: values.domain } : {}) })
  }
  if (resource === 'keys' && action === 'list' && companyId) return call('GET', `/companies/${companyId}/api-keys`)
  if (resource === 'keys' && action === 'create' && companyId && values.name && values.scopes) {
    return call('POST', `/companies/${companyId}/api-keys`, { name: values.name, scopes: values.scopes.split(',') })
  }
  if (resource === 'keys' && action === 'revoke' && companyId && keyId) {
    return call('DELETE', `/companies/${companyId}/api-keys/${keyId}`)
  }
  console.error(`attune admin: unknown or incomplete command\n\n${USAGE}`)
  return 2
}

process.exitCode = await main(process.argv.slice(2))
