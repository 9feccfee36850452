import type { Transaction } from 'kysely'
import {
  classifyInbound,
  helpReply,
  inboundAction,
  optOutConfirmation,
  type InboundAction,
} from '../../compliance/keywords.ts'
import type { CompanySettings, Database } from '../../db/schema.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { recordDomainEvents } from '../domain-events/domain-events.queries.ts'
import { subscriberOf } from '../subscriptions/consent-changes.ts'
import {
  confirmPendingOptIn,
  lockProfileConsents,
  optIn,
  optOut,
  type ConsentActor,
} from '../subscriptions/consent.service.ts'
import { resolveUser } from '../users/identity.service.ts'
import {
  confirmedOptOutSince,
  findCompany,
  findInboundByProviderId,
  insertInbound,
  setInboundReply,
  typesOptedInBefore,
  type InboundRow,
} from './inbound.queries.ts'
import {
  OPT_OUT_CONFIRMATION_WINDOW_MS,
  optOutScope,
  resubscribeConfirmation,
  textConsentState,
  welcomeConfirmation,
  typesToResubscribe,
  type TextConsent,
} from './inbound.replies.ts'
import type { InboundReply } from './inbound.schema.ts'
import { queueMessage } from './messages.service.ts'
import type { MessageOrigin } from './messages.schema.ts'
import { renderSourceText } from './inbound.source-texts.ts'

/** One text a person sent to one of the company's numbers, from whichever carrier received it. */
export interface Inbound {
  /** The sender, E.164. */
  from: string
  /** The company number it was sent to. */
  to: string
  body: string
  /** The carrier's id of the text: a repeat of it is stored once and acted on once. */
  providerId?: string | undefined
}

/** A reply the text caused, queued in the same transaction. */
export interface QueuedReply {
  messageId: number
  kind: InboundReply
  body: string
}

/** What `handleInbound` did. */
export interface InboundOutcome {
  row: InboundRow
  /** True when `providerId` was received before: nothing was done again. */
  duplicate: boolean
  replies: QueuedReply[]
}

interface Context {
  tx: Transaction<Database>
  companyId: number
  company: { name: string; settings: CompanySettings }
  userId: number
  rows: TextConsent[]
  optedInBefore: Set<string>
  inbound: InboundRow
  actor: ConsentActor
  evidence: { messageId: string }
  now: Date
}

const REPLY_ORIGIN: Record<InboundReply, MessageOrigin> = {
  opt_out_confirmation: 'opt_out_confirmation',
  help: 'help',
  welcome: 'welcome',
  resubscribe_confirmation: 'welcome',
}

/**
 * Handles one inbound text exactly as every carrier path must (STYLE.md §2: STOP is classified once): finds or
 * creates the sender's profile by number, stores the text in the conversation, and acts on it in the caller's
 * transaction, so the consent change and its reply commit together or not at all:
 * - opt-out words and clear opt-out intent end the TEXT subscriptions (revoke-all as configured), from any state
 *   and for numbers with no subscription (a suppression), and queue exactly one confirmation: always when the
 *   STOP ended something, and otherwise only if the number got none in the last 24 hours;
 * - HELP/INFO queue the company's help text;
 * - Y/YES confirm a pending double opt-in and queue the source's welcome; START/UNSTOP/YES after an opt-out
 *   re-subscribe (the person's own act) and queue a confirmation;
 * - anything else raises `sms.inbound_message` for the brand to answer.
 */
export async function handleInbound(
  tx: Transaction<Database>,
  companyId: number,
  text: Inbound,
  now: Date,
): Promise<InboundOutcome> {
  const intent = classifyInbound(text.body)
  // resolveUser holds the number's identifier lock to the end of the transaction: texts from one number are
  // handled one after the other, so a repeat (same providerId) or a second STOP sees what the first did.
  const { userId: resolved } = await resolveUser(tx, companyId, { phone: text.from }, now)
  if (text.providerId !== undefined) {
    const earlier = await findInboundByProviderId(tx, companyId, text.providerId)
    if (earlier) return { row: earlier, duplicate: true, replies: [] }
  }
  const { userId, rows } = await lockProfileConsents(tx, companyId, resolved)
  const optedInBefore = await typesOptedInBefore(tx, companyId, text.from)
  const action = inboundAction(intent, textConsentState(rows, text.from, optedInBefore, now))
  const inbound = await insertInbound(tx, {
    company_id: companyId,
    user_id: userId,
    from_address: text.from,
    to_address: text.to,
    body: text.body,
    provider_id: text.providerId ?? null,
    intent,
    action,
    received_at: now,
  })
  const ctx: Context = {
    tx,
    companyId,
    company: await findCompany(tx, companyId),
    userId,
    rows,
    optedInBefore,
    inbound,
    actor: { kind: 'keyword', id: text.body.trim().slice(0, 160) },
    evidence: { messageId: encodeObjectId('InboundMessage', inbound.id) },
    now,
  }
  const replies = await act(ctx, action)
  const first = replies[0]
  if (first) await setInboundReply(tx, companyId, inbound.id, first.kind, first.messageId)
  return {
    row: first ? { ...inbound, reply: first.kind, reply_message_id: first.messageId } : inbound,
    duplicate: false,
    replies,
  }
}

async function act(ctx: Context, action: InboundAction): Promise<QueuedReply[]> {
  switch (action) {
    case 'opt_out':
      return handleOptOut(ctx)
    case 'help':
      return [
        await reply(
          ctx,
          'help',
          helpReply(ctx.company.name, ctx.company.settings.helpText, ctx.company.settings.supportContact),
        ),
      ]
    case 'confirm_double_opt_in':
      return handleConfirm(ctx)
    case 'resubscribe':
      return handleResubscribe(ctx)
    case 'conversation':
      await recordConversation(ctx)
      return []
  }
}

/** Queues one reply to the sender, as a compliance message (always allowed, never held, capped or prefixed). */
async function reply(
  ctx: Context,
  kind: InboundReply,
  body: string,
  type: 'MARKETING' | 'TRANSACTIONAL' = 'TRANSACTIONAL',
) {
  const { id } = await queueMessage(
    ctx.tx,
    {
      companyId: ctx.companyId,
      userId: ctx.userId,
      channel: 'TEXT',
      type,
      origin: REPLY_ORIGIN[kind],
      to: ctx.inbound.from_address,
      body,
      compliance: true,
    },
    ctx.now,
  )
  return { messageId: id, kind, body }
}

async function handleOptOut(ctx: Context): Promise<QueuedReply[]> {
  const from = ctx.inbound.from_address
  const { type, scope } = optOutScope(ctx.rows, from, ctx.company.settings.revokeAll ?? true)
  const outcomes = await optOut(ctx.tx, ctx.companyId, ctx.userId, {
    channel: 'TEXT',
    type,
    actor: ctx.actor,
    now: ctx.now,
    address: from,
    evidence: ctx.evidence,
  })
  const ended = outcomes.some((outcome) => outcome.previous !== outcome.state)
  // One confirmation per opt-out (COMPLIANCE.md §1.6, FCC 24-24). A STOP that ends nothing (the number already
  // opted out) is answered only if no confirmation went to it in the last 24 hours: someone who repeats STOP
  // days later learns it held, while a burst of STOPs gets one answer, not one each.
  if (!ended) {
    const since = new Date(ctx.now.getTime() - OPT_OUT_CONFIRMATION_WINDOW_MS)
    if (await confirmedOptOutSince(ctx.tx, ctx.companyId, from, since)) return []
  }
  return [await reply(ctx, 'opt_out_confirmation', optOutConfirmation(ctx.company.name, scope))]
}

async function handleConfirm(ctx: Context): Promise<QueuedReply[]> {
  const pendingSources = sourcesOf(ctx.rows, ctx.inbound.from_address, 'PENDING')
  const outcomes = await confirmPendingOptIn(ctx.tx, ctx.companyId, ctx.userId, {
    messageId: ctx.evidence.messageId,
    keyword: ctx.actor.id ?? undefined,
    now: ctx.now,
  })
  if (!outcomes.some((outcome) => outcome.state === 'SUBSCRIBED')) return []
  return welcomes(ctx, pendingSources, 'welcome')
}

async function handleResubscribe(ctx: Context): Promise<QueuedReply[]> {
  const from = ctx.inbound.from_address
  const types = typesToResubscribe(ctx.rows, from, ctx.optedInBefore)
  const sources = sourcesOf(
    ctx.rows.filter((row) => types.includes(row.type)),
    from,
    'UNSUBSCRIBED',
  )
  for (const type of types) {
    await optIn(ctx.tx, ctx.companyId, ctx.userId, {
      channel: 'TEXT',
      type,
      actor: ctx.actor,
      now: ctx.now,
      address: from,
      evidence: ctx.evidence,
    })
  }
  if (types.length === 0) return []
  return welcomes(ctx, sources, 'resubscribe_confirmation')
}

/** The sign-up sources of the sender's TEXT consents in `state`, each once, in the order found. */
function sourcesOf(rows: readonly TextConsent[], address: string, state: TextConsent['state']): string[] {
  const ids = rows
    .filter((row) => row.channel === 'TEXT' && row.address === address && row.state === state)
    .flatMap((row) => row.sign_up_source_id ?? [])
  return [...new Set(ids)]
}

/** One welcome per source (two sources, two programs, two welcomes), rendered from the source's Liquid text. */
async function welcomes(ctx: Context, sourceIds: string[], kind: InboundReply): Promise<QueuedReply[]> {
  const replies: QueuedReply[] = []
  for (const sourceId of sourceIds) {
    const rendered = await renderSourceText(ctx.tx, ctx.companyId, sourceId, 'welcome_text', {
      userId: ctx.userId,
      phone: ctx.inbound.from_address,
    })
    if (rendered) replies.push(await reply(ctx, kind, rendered.body, rendered.type))
  }
  // No source left to take the words from: the built-in confirmation (COMPLIANCE.md §1.3 content).
  if (replies.length === 0) {
    const { name, settings } = ctx.company
    const body =
      kind === 'welcome'
        ? welcomeConfirmation(name, settings.supportContact)
        : resubscribeConfirmation(name, settings.supportContact)
    replies.push(await reply(ctx, kind, body))
  }
  return replies
}

/** Anything that is not a keyword: stored (done) and announced, for the brand's inbox and its webhooks. */
async function recordConversation(ctx: Context): Promise<void> {
  const subscriber = await subscriberOf(ctx.tx, ctx.companyId, ctx.userId)
  await recordDomainEvents(ctx.tx, [
    {
      companyId: ctx.companyId,
      userId: ctx.userId,
      type: 'sms.inbound_message',
      occurredAt: ctx.now,
      payload: {
        subscriber: { ...subscriber, phone: ctx.inbound.from_address },
        message: { type: 'TYPE_CONVERSATION', text: ctx.inbound.body, toPhone: ctx.inbound.to_address },
        inboundMessageId: encodeObjectId('InboundMessage', ctx.inbound.id),
      },
    },
  ])
}
