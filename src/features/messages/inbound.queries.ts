import type { Insertable, Kysely, Selectable, Transaction } from 'kysely'
import type { CompanySettings, Database } from '../../db/schema.ts'
import type { InboundMessagesTable, InboundReply } from './inbound.schema.ts'

/** A stored inbound text. */
export type InboundRow = Selectable<InboundMessagesTable>

/** Stores an inbound text; returns its row. */
export function insertInbound(
  tx: Transaction<Database>,
  row: Insertable<InboundMessagesTable>,
): Promise<InboundRow> {
  return tx.insertInto('inbound_messages').values(row).returningAll().executeTakeFirstOrThrow()
}

/** The text a carrier delivered before under this id, if any. */
export function findInboundByProviderId(
  db: Kysely<Database>,
  companyId: number,
  providerId: string,
): Promise<InboundRow | undefined> {
  return db
    .selectFrom('inbound_messages')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('provider_id', '=', providerId)
    .executeTakeFirst()
}

/** Records the reply an inbound text caused. */
export async function setInboundReply(
  tx: Transaction<Database>,
  companyId: number,
  id: number,
  reply: InboundReply,
  messageId: number,
): Promise<void> {
  await tx
    .updateTable('inbound_messages')
    .set({ reply, reply_message_id: messageId })
    .where('company_id', '=', companyId)
    .where('id', '=', id)
    .execute()
}

/** Whether `from` was sent an opt-out confirmation for a text received at or after `since`. */
export async function confirmedOptOutSince(
  tx: Transaction<Database>,
  companyId: number,
  from: string,
  since: Date,
): Promise<boolean> {
  const row = await tx
    .selectFrom('inbound_messages')
    .select('id')
    .where('company_id', '=', companyId)
    .where('from_address', '=', from)
    .where('reply', '=', 'opt_out_confirmation')
    .where('received_at', '>=', since)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** The company's name and settings, as the replies need them. */
export function findCompany(
  db: Kysely<Database>,
  companyId: number,
): Promise<{ name: string; settings: CompanySettings }> {
  return db
    .selectFrom('companies')
    .select(['name', 'settings'])
    .where('id', '=', companyId)
    .executeTakeFirstOrThrow()
}

/**
 * The consent types this number was ever SUBSCRIBED to in the company, under any profile (the ledger is kept per
 * number and never rewritten by merges). Read through the partial index consent_ledger_opt_ins (0031).
 */
export async function typesOptedInBefore(
  tx: Transaction<Database>,
  companyId: number,
  address: string,
): Promise<Set<string>> {
  const rows = await tx
    .selectFrom('consent_ledger')
    .select('type')
    .distinct()
    .where('company_id', '=', companyId)
    .where('channel', '=', 'TEXT')
    .where('address', '=', address)
    .where('new_state', '=', 'SUBSCRIBED')
    .execute()
  return new Set(rows.map((row) => row.type))
}
