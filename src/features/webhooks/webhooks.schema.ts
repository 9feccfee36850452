import type { ColumnType, Generated } from 'kysely'
import type { Timestamp } from '../../db/schema.ts'

/** Why a webhook is disabled: by its app (PUT disabled), by a 410 Gone, or after 72 h of failures. */
export type DisabledReason = 'requested' | 'gone' | 'failing'

/** A delivery's state: pending (due or waiting for a retry), succeeded, failed (gave up), cancelled (disabled). */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled'

/** What a notice tells the app's contact (§4.4). */
export type NoticeKind = 'failing' | 'disabled_failing' | 'disabled_gone'

/** A row of `webhooks` (migration 0040). */
export interface WebhooksTable {
  id: Generated<number>
  company_id: number
  api_key_id: number
  url: string
  events: string[]
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: Timestamp | null
  disabled_at: Timestamp | null
  disabled_reason: DisabledReason | null
  failing_since: Timestamp | null
  failing_notice_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

/** A row of `webhook_deliveries`: one event for one webhook, with its attempts summarised. */
export interface WebhookDeliveriesTable {
  id: Generated<number>
  company_id: number
  webhook_id: number
  domain_event_id: number
  event_type: string
  user_id: number | null
  occurred_at: Timestamp
  message_id: Generated<string>
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>
  attempts: Generated<number>
  /** Read as -Infinity (a number) while "due at once". */
  next_attempt_at: ColumnType<Date | number, Date | string | undefined, Date | string>
  locked_until: Timestamp | null
  window_started_at: Timestamp | null
  first_attempt_at: Timestamp | null
  last_attempt_at: Timestamp | null
  last_status_code: number | null
  last_latency_ms: number | null
  last_error: string | null
  delivered_at: Timestamp | null
}

/** A row of `webhook_delivery_attempts`. */
export interface WebhookDeliveryAttemptsTable {
  id: Generated<number>
  company_id: number
  delivery_id: number
  attempt: number
  attempted_at: Timestamp
  status_code: number | null
  latency_ms: number
  error: string | null
  response_excerpt: string | null
}

/** A row of `webhook_notices`. */
export interface WebhookNoticesTable {
  id: Generated<number>
  company_id: number
  webhook_id: number
  kind: NoticeKind
  message: string
  created_at: Timestamp
}

/** The webhook tables, for src/db/schema.ts. */
export interface WebhookTables {
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable
  webhook_notices: WebhookNoticesTable
}
