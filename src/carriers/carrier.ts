// The one boundary between Attune and whatever delivers texts (STYLE.md §2 "One small interface per boundary").
// Adapters translate between their wire format and these types; they never decide consent or content. Only
// src/features/messages/ imports this folder (eslint no-restricted-imports).

/** One message handed to a carrier. */
export interface OutgoingMessage {
  /** Attune's message id: the idempotency key. A second hand-off of the same id must not reach the phone twice. */
  id: number
  companyId: number
  /** E.164. */
  to: string
  /** The sender (short code or number) to send from. */
  from: string
  body: string
  mediaUrl: string | null
  segments: number
}

/** What the carrier said about one message handed over. */
export type SendResult =
  | { id: number; ok: true; providerId: string }
  /** `permanent`: the carrier refused the message itself (bad number, blocked): it must not be retried. */
  | { id: number; ok: false; permanent: boolean; error: string }

/** The final outcome a receipt reports (COMPLIANCE.md §4.1). */
export type ReceiptStatus = 'delivered' | 'undelivered' | 'failed'

/** One delivery receipt, in Attune's words. */
export interface CarrierReceipt {
  /** Attune's message id, as the adapter correlates it (a status-callback URL, SMPP DLR correlation, ...). */
  messageId: number
  providerId: string
  status: ReceiptStatus
  /** When the carrier says the outcome happened. */
  at: Date
  errorCode?: string | undefined
}

/** One text a person sent to a company's sender. */
export interface InboundText {
  from: string
  to: string
  body: string
  providerId: string
  at: Date
}

/** A carrier adapter. */
export interface Carrier {
  readonly name: 'sandbox' | 'twilio' | 'smpp'
  /** The sender a company's messages go out from. */
  senderFor(companyId: number): string
  /**
   * Hands messages over, each with its id as idempotency key; one result per message, in any order. A message
   * handed over again (after a crash) must not be delivered twice: the adapter dedupes by id, or the caller
   * asks `lookup` first (the dispatcher does both).
   */
  send(messages: readonly OutgoingMessage[]): Promise<SendResult[]>
  /** The provider ids of those of `ids` the carrier already accepted: reconciles an ambiguous hand-off. */
  lookup(ids: readonly number[]): Promise<Map<number, string>>
  /** Reads receipts from the adapter's wire format (a status callback body, a deliver_sm, a sandbox record). */
  parseReceipts(raw: unknown): CarrierReceipt[]
  /** Reads inbound texts from the adapter's wire format. */
  parseInbound(raw: unknown): InboundText[]
  close(): Promise<void>
}
