import { createHmac, randomBytes } from 'node:crypto'

/** Prefix of a signing secret, as Standard Webhooks serialises them. */
const SECRET_PREFIX = 'whsec_'

/**
 * A new signing secret: `whsec_` and 32 random bytes in base64, the Standard Webhooks form (24-64 bytes), so
 * its libraries accept it unchanged (docs/adr/0010-webhook-secrets.md).
 */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

/**
 * `x-attentive-hmac-sha256`: lowercase hex HMAC-SHA256 of the raw body, keyed with the secret's UTF-8 bytes,
 * exactly as Attentive's receivers verify it (ATTENTIVE_API.md §4.3).
 */
export function attentiveSignature(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex')
}

/**
 * One `webhook-signature` entry: `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>`, keyed with the
 * bytes the secret's base64 part decodes to (Standard Webhooks, "Signature scheme").
 */
export function standardSignature(secret: string, id: string, timestamp: number, body: Buffer): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')
  return `v1,${mac}`
}

/** The `v1=` part of `x-attune-signature`: hex HMAC-SHA256 of `<t>.<body>` with the secret's UTF-8 bytes. */
function attuneSignature(secret: string, timestamp: number, body: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

/** What one request is signed with. */
export interface SigningInput {
  /** The delivery's stable id (webhook-id, x-attune-event-id). */
  id: string
  /** Unix seconds of this attempt. */
  timestamp: number
  /** 1 for the first attempt. */
  attempt: number
  body: Buffer
  /** The current secret first; during a rotation's overlap the previous one follows. */
  secrets: readonly [string, ...string[]]
}

/**
 * Every header of a delivery: Attentive's (current secret only, as its receivers expect one value), Standard
 * Webhooks' and Attune's (one `v1` per live secret, so receivers still holding the old one keep verifying
 * during a rotation), ATTENTIVE_API.md §4.3.
 */
export function signedHeaders(input: SigningInput): Record<string, string> {
  const { id, timestamp, body, secrets } = input
  return {
    'content-type': 'application/json',
    'user-agent': 'Attune-Webhooks/1',
    'x-attentive-hmac-sha256': attentiveSignature(secrets[0], body),
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => standardSignature(secret, id, timestamp, body)).join(' '),
    'x-attune-timestamp': String(timestamp),
    'x-attune-signature': [`t=${timestamp}`, ...secrets.map((s) => `v1=${attuneSignature(s, timestamp, body)}`)].join(','),
    'x-attune-event-id': id,
    'x-attune-delivery-attempt': String(input.attempt),
  }
}
