import { randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/schema.ts'
import type {
  Carrier,
  CarrierReceipt,
  InboundText,
  OutgoingMessage,
  ReceiptStatus,
  SendResult,
} from './carrier.ts'

/** The share of each receipt outcome the sandbox produces, as weights (`{ delivered: 1 }`: all delivered). */
export type OutcomeMix = Partial<Record<ReceiptStatus, number>>

/** Options of the sandbox carrier. */
export interface SandboxOptions {
  db: Kysely<Database>
  clock: Clock
  /** Time from hand-off to the simulated receipt. Default 1,000 ms. */
  receiptDelayMs?: number
  /** Outcome weights. Default all delivered. */
  outcomes?: OutcomeMix
  /** Uniform in [0, 1), to pick outcomes. Default Math.random. */
  random?: () => number
}

/** A receipt in the sandbox's own wire form, as `takeDueReceipts` returns it and `parseReceipts` reads it. */
export interface SandboxReceiptRecord {
  message_id: number
  provider_id: string
  receipt_status: ReceiptStatus
  receipt_due_at: Date | string
}

/** An inbound text in the sandbox's wire form (what POST /v1/sandbox/inbound carries). */
export interface SandboxInboundRecord {
  from: string
  to: string
  body: string
  at?: Date | string
}

const STATUSES: ReceiptStatus[] = ['delivered', 'undelivered', 'failed']

/** Parses `delivered=90,undelivered=5,failed=5` (ATTUNE_SANDBOX_OUTCOMES); weights need not sum to anything. */
export function parseOutcomeMix(text: string): OutcomeMix {
  const mix: OutcomeMix = {}
  for (const part of text.split(',')) {
    const [name, weight] = part.split('=')
    if (STATUSES.includes(name as ReceiptStatus)) mix[name as ReceiptStatus] = Number(weight)
  }
  return mix
}

/** The sandbox's sender for a company: a made-up five-or-more-digit short code, stable per company. */
export function sandboxSender(companyId: number): string {
  return String(20000 + companyId)
}

/**
 * The default carrier: stores what would be sent in `sandbox_submissions`, answers with a provider id, and
 * produces a delivery receipt per message after `receiptDelayMs`, with outcomes drawn from the mix. A message id
 * submitted again keeps its first provider id and receipt; only its `submissions` count grows.
 */
export class SandboxCarrier implements Carrier {
  readonly name = 'sandbox' as const
  private readonly db: Kysely<Database>
  private readonly clock: Clock
  private readonly delayMs: number
  private readonly weights: Array<[ReceiptStatus, number]>
  private readonly random: () => number

  constructor(options: SandboxOptions) {
    this.db = options.db
    this.clock = options.clock
    this.delayMs = options.receiptDelayMs ?? 1000
    const weights = STATUSES.map((status): [ReceiptStatus, number] => [
      status,
      Math.max(0, options.outcomes?.[status] ?? 0),
    ])
    this.weights = weights.some(([, weight]) => weight > 0) ? weights : [['delivered', 1]]
    this.random = options.random ?? Math.random
  }

  senderFor(companyId: number): string {
    return sandboxSender(companyId)
  }

  private pickOutcome(): ReceiptStatus {
    const total = this.weights.reduce((sum, [, weight]) => sum + weight, 0)
    let point = this.random() * total
    for (const [status, weight] of this.weights) {
      if (point < weight) return status
      point -= weight
    }
    return 'delivered'
  }

  /** One statement for the whole batch; a repeated id only counts the submission (idempotent by message id). */
  async send(messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    if (messages.length === 0) return []
    const now = this.clock.now()
    const due = new Date(now.getTime() + this.delayMs)
    const result = await sql<{ message_id: number; provider_id: string }>`
      insert into sandbox_submissions (message_id, company_id, provider_id, to_address, from_address, body, media_url,
        segments, submitted_at, receipt_due_at, receipt_status)
      select m.id, m.company_id, m.provider_id, m.to_address, m.from_address, m.body, m.media_url, m.segments,
        ${now}::timestamptz, ${due}::timestamptz, m.status
      from unnest(${messages.map((m) => m.id)}::bigint[], ${messages.map((m) => m.companyId)}::bigint[],
        ${messages.map(() => `SB${randomUUID().replaceAll('-', '')}`)}::text[], ${messages.map((m) => m.to)}::text[],
        ${messages.map((m) => m.from)}::text[], ${messages.map((m) => m.body)}::text[],
        ${messages.map((m) => m.mediaUrl)}::text[], ${messages.map((m) => m.segments)}::int[],
        ${messages.map(() => this.pickOutcome())}::text[])
        as m (id, company_id, provider_id, to_address, from_address, body, media_url, segments, status)
      on conflict (message_id) do update set submissions = sandbox_submissions.submissions + 1
      returning message_id, provider_id
    `.execute(this.db)
    return result.rows.map((row) => ({ id: row.message_id, ok: true, providerId: row.provider_id }))
  }

  async lookup(ids: readonly number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map()
    const rows = await this.db
      .selectFrom('sandbox_submissions')
      .select(['message_id', 'provider_id'])
      .where('message_id', 'in', [...ids])
      .execute()
    return new Map(rows.map((row) => [row.message_id, row.provider_id]))
  }

  /**
   * Marks up to `limit` receipts due at `now` as produced and returns them in the sandbox's wire form, through
   * `db` (pass the transaction that applies them, so a crash in between loses none).
   */
  async takeDueReceipts(db: Kysely<Database>, now: Date, limit: number): Promise<SandboxReceiptRecord[]> {
    const result = await sql<SandboxReceiptRecord>`
      update sandbox_submissions s set receipted_at = ${now}
      from (select message_id from sandbox_submissions
            where receipted_at is null and receipt_due_at <= ${now}
            order by receipt_due_at limit ${limit} for update skip locked) due
      where s.message_id = due.message_id
      returning s.message_id, s.provider_id, s.receipt_status, s.receipt_due_at
    `.execute(db)
    return result.rows
  }

  /** How many times the message id was handed over (1 when exactly once; 0 never). */
  async submissionCount(messageId: number): Promise<number> {
    const row = await this.db
      .selectFrom('sandbox_submissions')
      .select('submissions')
      .where('message_id', '=', messageId)
      .executeTakeFirst()
    return row?.submissions ?? 0
  }

  parseReceipts(raw: unknown): CarrierReceipt[] {
    const records = Array.isArray(raw) ? (raw as SandboxReceiptRecord[]) : [raw as SandboxReceiptRecord]
    return records.map((record) => ({
      messageId: Number(record.message_id),
      providerId: record.provider_id,
      status: record.receipt_status,
      at: new Date(record.receipt_due_at),
    }))
  }

  parseInbound(raw: unknown): InboundText[] {
    const records = Array.isArray(raw) ? (raw as SandboxInboundRecord[]) : [raw as SandboxInboundRecord]
    return records.map((record) => ({
      from: record.from,
      to: record.to,
      body: record.body,
      providerId: `SBIN${randomUUID().replaceAll('-', '')}`,
      at: record.at === undefined ? this.clock.now() : new Date(record.at),
    }))
  }

  async close(): Promise<void> {}
}
