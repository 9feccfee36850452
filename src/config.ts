import path from 'node:path'
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'

/**
 * The environment Attune reads, as one schema. Each property's `description` is the expected form that a
 * bad value's error line quotes, so the schema is also the documentation (README's configuration table).
 */
export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'a TCP port 0-65535' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'an interface address such as 0.0.0.0' }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'a postgres:// URL (unset: embedded store)' }),
  ),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 10, description: 'an integer 1-500' }),
  ATTUNE_DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'a directory path' }),
  ATTUNE_ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 24, description: 'a secret of at least 24 characters' }),
  ),
  ATTUNE_PUBLIC_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s/]+(/[^\\s]*)?$', description: 'an http(s):// base URL' }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' },
  ),
  ATTUNE_API_PROCESSES: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 1,
    description: 'the number of API processes sharing the rate limits, an integer 1-1000',
  }),
  ATTUNE_WORKER_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 20,
    description: 'jobs run at once per worker process, an integer 1-1000',
  }),
  ATTUNE_JOB_LEASE_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 86400,
    default: 300,
    description: 'seconds a claimed job stays leased before another worker may take it, 1-86400',
  }),
  ATTUNE_WEBHOOK_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'true or false',
  }),
  ATTUNE_ALLOW_HTTP_WEBHOOKS: Type.Boolean({
    default: false,
    description: 'true or false (true: webhook URLs may use http://, for development)',
  }),
  ATTUNE_CARRIER: Type.Union([Type.Literal('sandbox')], {
    default: 'sandbox',
    description: 'sandbox (the only carrier so far: stores texts instead of sending them)',
  }),
  ATTUNE_SANDBOX_RECEIPT_DELAY_MS: Type.Integer({
    minimum: 0,
    maximum: 86_400_000,
    default: 1000,
    description: 'milliseconds from hand-off to the sandbox delivery receipt, 0-86400000',
  }),
  ATTUNE_SANDBOX_OUTCOMES: Type.String({
    pattern: '^(delivered|undelivered|failed)=\\d+(\\.\\d+)?(,(delivered|undelivered|failed)=\\d+(\\.\\d+)?)*$',
    default: 'delivered=100',
    description: 'receipt outcome weights such as delivered=90,undelivered=5,failed=5',
  }),
  ATTUNE_MESSAGE_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 5000,
    default: 500,
    description: 'messages one dispatcher claims per statement, an integer 1-5000',
  }),
  ATTUNE_MESSAGE_DISPATCHERS: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 2,
    description: 'message dispatch loops per worker process, an integer 1-64',
  }),
  ATTUNE_MEDIA_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'true or false (true: MMS mediaUrl may point at private addresses, for development)',
  }),
})

type Env = Static<typeof EnvSchema>

/** The validated configuration every part of Attune reads. Built once at start and frozen. */
export interface Config {
  readonly port: number
  readonly host: string
  /** Unset: Attune starts its own PostgreSQL in `dataDir`. */
  readonly databaseUrl: string | undefined
  readonly databasePoolSize: number
  /** Absolute path of ATTUNE_DATA_DIR. */
  readonly dataDir: string
  readonly adminToken: string | undefined
  /** Base URL for links and webhooks; defaults to http://HOST:PORT. */
  readonly publicUrl: string
  readonly logLevel: string
  readonly apiProcesses: number
  readonly workerConcurrency: number
  readonly jobLeaseSeconds: number
  readonly webhookAllowPrivate: boolean
  /** Webhook URLs may be http:// (ATTUNE_ALLOW_HTTP_WEBHOOKS); otherwise https only (ATTENTIVE_API.md §2.10). */
  readonly allowHttpWebhooks: boolean
  /** The carrier adapter texts go through (ATTUNE_CARRIER). */
  readonly carrier: 'sandbox'
  /** Sandbox: time from hand-off to the simulated receipt, and the outcome weights. */
  readonly sandboxReceiptDelayMs: number
  readonly sandboxOutcomes: string
  /** Messages claimed per statement, and dispatch loops per worker process (docs/adr/0011-message-dispatch.md). */
  readonly messageBatchSize: number
  readonly messageDispatchers: number
  /** MMS media may be fetched from private addresses (ATTUNE_MEDIA_ALLOW_PRIVATE). */
  readonly mediaAllowPrivate: boolean
}

/** A configuration value that fails its schema; `message` is one line naming the variable and the form. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Validates `env` once into a frozen Config; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const keys = Object.keys(EnvSchema.properties) as Array<keyof Env>
  const given: Record<string, string> = {}
  for (const key of keys) {
    const value = env[key]
    if (value !== undefined && value !== '') given[key] = value
  }
  // Default and Convert change the object they are given: pass a copy so `given` keeps what was written.
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...given })) as Record<string, unknown>
  for (const key of keys) {
    const property = EnvSchema.properties[key]
    if (converted[key] === undefined) continue
    if (!Value.Check(property, converted[key]) || !isDecimalWhereInteger(property, given[key])) {
      const shown = given[key] ?? ''
      const secret = key === 'ATTUNE_ADMIN_TOKEN' || key === 'DATABASE_URL'
      throw new ConfigError(
        `${key}: ${secret ? 'the value' : `'${shown}'`} is not valid; expected ${(property as { description?: string }).description ?? "a valid value"}`,
      )
    }
  }
  const valid = converted as Env
  return Object.freeze({
    port: valid.PORT,
    host: valid.HOST,
    databaseUrl: valid.DATABASE_URL,
    databasePoolSize: valid.DATABASE_POOL_SIZE,
    dataDir: path.resolve(cwd, valid.ATTUNE_DATA_DIR),
    adminToken: valid.ATTUNE_ADMIN_TOKEN,
    publicUrl: (valid.ATTUNE_PUBLIC_URL ?? `http://${valid.HOST}:${valid.PORT}`).replace(/\/+$/, ''),
    logLevel: valid.LOG_LEVEL,
    apiProcesses: valid.ATTUNE_API_PROCESSES,
    workerConcurrency: valid.ATTUNE_WORKER_CONCURRENCY,
    jobLeaseSeconds: valid.ATTUNE_JOB_LEASE_SECONDS,
    webhookAllowPrivate: valid.ATTUNE_WEBHOOK_ALLOW_PRIVATE,
    allowHttpWebhooks: valid.ATTUNE_ALLOW_HTTP_WEBHOOKS,
    carrier: valid.ATTUNE_CARRIER,
    sandboxReceiptDelayMs: valid.ATTUNE_SANDBOX_RECEIPT_DELAY_MS,
    sandboxOutcomes: valid.ATTUNE_SANDBOX_OUTCOMES,
    messageBatchSize: valid.ATTUNE_MESSAGE_BATCH_SIZE,
    messageDispatchers: valid.ATTUNE_MESSAGE_DISPATCHERS,
    mediaAllowPrivate: valid.ATTUNE_MEDIA_ALLOW_PRIVATE,
  })
}

/**
 * Value.Convert reads integers loosely ('1.5' and 'true' become 1, '0x50' 80, '1e3' 1000), so PORT=1.5 would
 * quietly listen on port 1: an integer variable must be written as plain decimal digits.
 */
function isDecimalWhereInteger(property: unknown, value: string | undefined): boolean {
  if ((property as { type?: unknown }).type !== 'integer' || value === undefined) return true
  return /^\d+$/.test(value)
}
