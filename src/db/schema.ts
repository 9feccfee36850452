import type { ColumnType, Generated } from 'kysely'
import type { DomainEventTables } from '../features/domain-events/domain-events.schema.ts'
import type { WebhookTables } from '../features/webhooks/webhooks.schema.ts'
import type { UserTables } from '../features/users/users.schema.ts'
import type { SignUpSourceTables } from '../features/sign-up-sources/sign-up-sources.schema.ts'
import type { ConsentTables } from '../features/subscriptions/consents.schema.ts'
import type { AttributeTables } from '../features/attributes/attributes.schema.ts'
import type { QueueTables } from '../queue/queue.schema.ts'
import type { MessageTables } from '../features/messages/messages.schema.ts'
import type { InboundTables } from '../features/messages/inbound.schema.ts'
import type { EventTables } from '../features/events/events.schema.ts'
import type { IdempotencyTables } from '../http/idempotency.ts'

/** A timestamptz column: read as Date, written as Date or an ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>
type Json = ColumnType<unknown, string, string>

export interface CompaniesTable {
  id: Generated<number>
  name: string
  domain: string | null
  settings: ColumnType<CompanySettings, string | undefined, string>
  created_at: Generated<Date>
}

/** Per-company switches, stored as JSON; every field is optional and has a documented default. */
export interface CompanySettings {
  /** Requests per second per key and endpoint family, overriding Attentive's defaults. */
  rateLimits?: Partial<Record<RateLimitFamily, number>>
  /** An opt-out of one consent type by the subscriber's keyword ends every type on that channel. Default true. */
  revokeAll?: boolean
  /** EMAIL sign-ups wait for a confirmation, as TEXT ones do. Default false (single opt-in). */
  emailDoubleOptIn?: boolean
  /** ISO country that national phone numbers are read in. Default US. */
  defaultCountry?: string
  /** The reply to HELP/INFO (COMPLIANCE.md §1.6); brand, rates and STOP are added when missing. Default: built
   *  by compliance/keywords.ts helpReply from the company name and `supportContact`. */
  helpText?: string
  /** Customer-care contact (toll-free number, email or URL) named in HELP and re-subscription replies. Default none. */
  supportContact?: string
  /** Countries texts may go to, ISO codes ("UK" reads as GB). Default US, CA, GB (compliance/countries.ts). */
  smsCountries?: string[]
  /** IANA zone for recipients whose own zone is unknown (quiet hours). Default America/New_York. */
  timeZone?: string
  /** Smart sending: at most `limit` marketing texts per person in `windowHours`; false: off. Default 1 per 8 h. */
  frequencyCap?: { limit: number; windowHours: number } | false
  /** Longest text the send APIs accept, in segments (COMPLIANCE.md §3.2). Default 10. */
  maxSegments?: number
  /** Events older than this many days are deleted (features/events/maintenance.job.ts). Default: kept. */
  eventRetentionDays?: number
}

export type RateLimitFamily = 'default' | 'subscribe' | 'identity' | 'unsubscribe' | 'catalogUpload'

export interface InstanceSettingsTable {
  key: string
  value: Json
  created_at: Generated<Date>
}

export interface ApiKeysTable {
  id: Generated<number>
  company_id: number
  name: string
  key_hash: Buffer
  key_prefix: string
  scopes: string[]
  contact_email: string | null
  created_at: Generated<Date>
  revoked_at: Timestamp | null
}

interface CoreTables {
  companies: CompaniesTable
  instance_settings: InstanceSettingsTable
  api_keys: ApiKeysTable
}

/** Every table, one Kysely row type each; features add their tables' interfaces here. */
export interface Database extends CoreTables, QueueTables, DomainEventTables, WebhookTables, UserTables, SignUpSourceTables, ConsentTables, AttributeTables, EventTables, IdempotencyTables, MessageTables, InboundTables {}
