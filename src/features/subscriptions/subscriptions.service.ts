import type { Kysely, Transaction } from 'kysely'
import type { CompanySettings, Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import {
  findSignUpSource,
  findSignUpSourcesByLocale,
  type SignUpSourceRow,
} from '../sign-up-sources/sign-up-sources.queries.ts'
import { emailField, externalIdentifiers, phoneField } from '../users/identifiers.ts'
import { findUserId, resolveUser, type UserIdentifiers } from '../users/identity.service.ts'
import { findConsents } from './consent.queries.ts'
import { CONSENT_TYPES, isEligible, optOut, type ConsentOutcome } from './consent.service.ts'
import type { Channel, ConsentType } from './consents.schema.ts'
import { signUp, type SignUpRequest } from './sign-up.service.ts'
import type { SubscribeBody, UnsubscribeBody } from './subscriptions.schemas.ts'

/** Who is asking, from where: the calling key's company and the request's evidence. */
export interface RequestContext {
  companyId: number
  settings: CompanySettings
  keyId: number
  ip?: string | undefined
  userAgent?: string | undefined
  now: Date
}

const CHANNELS: Channel[] = ['TEXT', 'EMAIL']
/** Attentive lists entries TEXT then EMAIL, MARKETING then TRANSACTIONAL (seed 004). */
function byResponseOrder(
  a: { channel: Channel; type: ConsentType },
  b: { channel: Channel; type: ConsentType },
) {
  return (
    CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel) ||
    CONSENT_TYPES.indexOf(a.type) - CONSENT_TYPES.indexOf(b.type)
  )
}

/** The `user` echoed exactly as sent (seed 004 gets its national "7707651750" back). */
function echoUser(user: { phone?: string | null | undefined; email?: string | null | undefined }) {
  return {
    ...(user.phone !== undefined ? { phone: user.phone } : {}),
    ...(user.email !== undefined ? { email: user.email } : {}),
  }
}

function requestIdentifiers(ctx: RequestContext, user: SubscribeBody['user'], at = 'user.') {
  const phone = phoneField(user.phone, `${at}phone`, ctx.settings.defaultCountry)
  const email = emailField(user.email, `${at}email`)
  if (phone === undefined && email === undefined) {
    const field = at === '' ? 'phone' : 'user'
    throw new AppError(
      'missing_identifier',
      `${field}: needs a phone, an email or both, e.g. {"phone": "+17707651750"}`,
      {
        field,
      },
    )
  }
  return { phone, email }
}

function parseLocale(locale: NonNullable<SubscribeBody['locale']>) {
  return typeof locale === 'string' ? { language: locale.slice(0, 2), country: locale.slice(3, 5) } : locale
}

/** The sign-up source a subscribe names, by id or by locale + type; a 400 that says what to send otherwise. */
async function chooseSource(
  db: Kysely<Database>,
  companyId: number,
  body: SubscribeBody,
): Promise<SignUpSourceRow> {
  const id =
    body.signUpSourceId === null || body.signUpSourceId === undefined
      ? ''
      : String(body.signUpSourceId).trim()
  if (id !== '') {
    const source = await findSignUpSource(db, companyId, id)
    if (source) return source
    throw new AppError(
      'unknown_sign_up_source',
      `signUpSourceId: this company has no sign-up source '${id}'; use an id listed by GET /v1/sign-up-sources or create one with POST /v1/sign-up-sources`,
      { field: 'signUpSourceId' },
    )
  }
  if (body.locale === undefined || body.subscriptionType === undefined) {
    const missing =
      body.locale === undefined && body.subscriptionType === undefined
        ? 'signUpSourceId'
        : body.locale === undefined
          ? 'locale'
          : 'subscriptionType'
    throw new AppError(
      'sign_up_source_required',
      `${missing}: a subscription needs the sign-up source that collected it: send signUpSourceId (e.g. "132109", from GET /v1/sign-up-sources), or locale {"language": "en", "country": "US"} with subscriptionType MARKETING or TRANSACTIONAL`,
      { field: missing },
    )
  }
  const locale = parseLocale(body.locale)
  const found = await findSignUpSourcesByLocale(db, companyId, locale, body.subscriptionType)
  const wanted = `locale ${locale.language}-${locale.country} and subscriptionType ${body.subscriptionType}`
  if (found.length === 1 && found[0]) return found[0]
  if (found.length === 0) {
    throw new AppError(
      'unknown_sign_up_source',
      `locale: no sign-up source has ${wanted}; send signUpSourceId instead`,
      {
        field: 'locale',
      },
    )
  }
  throw new AppError(
    'ambiguous_sign_up_source',
    `locale: several sign-up sources have ${wanted}; send signUpSourceId to pick one`,
    {
      field: 'locale',
    },
  )
}

/**
 * `POST /v1/subscriptions`: validates everything first (identifiers, source, channels), then resolves the
 * profile and signs each channel up, in the caller's transaction.
 */
export async function subscribe(tx: Transaction<Database>, ctx: RequestContext, body: SubscribeBody) {
  const { phone, email } = requestIdentifiers(ctx, body.user)
  const external = externalIdentifiers(body.externalIdentifiers, 'externalIdentifiers')
  const source = await chooseSource(tx, ctx.companyId, body)
  const requests: SignUpRequest[] = []
  if (phone !== undefined && source.channels.includes('TEXT')) {
    requests.push({ channel: 'TEXT', address: phone, addressAsGiven: body.user.phone ?? undefined })
  }
  if (email !== undefined && source.channels.includes('EMAIL')) {
    requests.push({ channel: 'EMAIL', address: email, addressAsGiven: body.user.email ?? undefined })
  }
  if (requests.length === 0) {
    const field = phone !== undefined ? 'user.phone' : 'user.email'
    throw new AppError(
      'sign_up_source_channel_mismatch',
      `${field}: sign-up source '${source.id}' collects ${source.channels.join(' and ')} only; send ${source.channels.includes('TEXT') ? 'user.phone' : 'user.email'} or use another source`,
      { field },
    )
  }
  const ids: UserIdentifiers = { ...external, phone, email }
  const { userId, created } = await resolveUser(tx, ctx.companyId, ids, ctx.now)
  const outcomes = await signUp(tx, ctx.companyId, userId, {
    newProfile: created,
    requests,
    source,
    singleOptIn: body.singleOptIn ?? false,
    emailDoubleOptIn: ctx.settings.emailDoubleOptIn ?? false,
    actor: { kind: 'api_key', id: String(ctx.keyId) },
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    now: ctx.now,
  })
  return {
    user: echoUser(body.user),
    ...(body.externalIdentifiers !== undefined ? { externalIdentifiers: body.externalIdentifiers } : {}),
    subscriptionResponses: outcomes.sort(byResponseOrder).map((o) => ({
      subscription: { type: o.type, channel: o.channel },
      subscriptionCreationStatus: o.status,
    })),
  }
}

/**
 * `POST /v1/subscriptions/unsubscribe` (and the historic DELETE): the phone ends TEXT consents and the email
 * EMAIL ones; named pairs only, or every existing one when none are named. A named pair with no record is
 * stored as a suppression and answers PREVIOUSLY_UNSUBSCRIBED.
 */
export async function unsubscribe(
  tx: Transaction<Database>,
  ctx: RequestContext,
  body: UnsubscribeBody,
  fieldPrefix = 'user.',
) {
  const { phone, email } = requestIdentifiers(ctx, body.user, fieldPrefix)
  const actor = { kind: 'api_key' as const, id: String(ctx.keyId) }
  const notification = {
    disabled: body.notification?.disabled ?? false,
    language: body.notification?.language ?? 'en-US',
  }
  const outcomes: ConsentOutcome[] = []
  const sides: Array<[Channel, string | undefined, string | null | undefined]> = [
    ['TEXT', phone, body.user.phone],
    ['EMAIL', email, body.user.email],
  ]
  for (const [channel, address, asGiven] of sides) {
    if (address === undefined) continue
    const key: UserIdentifiers = channel === 'TEXT' ? { phone: address } : { email: address }
    const common = {
      channel,
      actor,
      now: ctx.now,
      evidence: { ip: ctx.ip, userAgent: ctx.userAgent, addressAsGiven: asGiven ?? undefined },
      eventFields: { notification },
    }
    if (body.subscriptions === undefined) {
      const userId = await findUserId(tx, ctx.companyId, key)
      if (userId !== undefined) outcomes.push(...(await optOut(tx, ctx.companyId, userId, common)))
      continue
    }
    const types = [...new Set(body.subscriptions.filter((s) => s.channel === channel).map((s) => s.type))]
    if (types.length === 0) continue
    const { userId } = await resolveUser(tx, ctx.companyId, key, ctx.now)
    for (const type of types)
      outcomes.push(...(await optOut(tx, ctx.companyId, userId, { ...common, type, address })))
  }
  return {
    user: echoUser(body.user),
    subscriptionResponses: outcomes.sort(byResponseOrder).map((o) => ({
      subscription: { type: o.type, channel: o.channel },
      subscriptionUnsubscribeStatus:
        o.previous === 'SUBSCRIBED' || o.previous === 'PENDING'
          ? ('NEWLY_UNSUBSCRIBED' as const)
          : ('PREVIOUSLY_UNSUBSCRIBED' as const),
    })),
  }
}

/**
 * `GET /v1/subscriptions`: every consent record of the phone's profile on TEXT and of the email's on EMAIL;
 * eligible only when SUBSCRIBED for that very address. An unknown person has no entries.
 */
export async function eligibility(
  db: Kysely<Database>,
  ctx: Omit<RequestContext, 'keyId' | 'now'>,
  query: { phone?: string | undefined; email?: string | undefined },
) {
  const phone = phoneField(query.phone, 'phone', ctx.settings.defaultCountry)
  const email = emailField(query.email, 'email')
  if (phone === undefined && email === undefined) {
    throw new AppError(
      'missing_identifier',
      'phone: send phone (E.164, + written as %2B) or email, or both',
      { field: 'phone' },
    )
  }
  const entries: Array<{ channel: Channel; type: ConsentType; isEligible: boolean }> = []
  for (const [channel, address] of [
    ['TEXT', phone],
    ['EMAIL', email],
  ] as Array<[Channel, string | undefined]>) {
    if (address === undefined) continue
    const userId = await findUserId(
      db,
      ctx.companyId,
      channel === 'TEXT' ? { phone: address } : { email: address },
    )
    if (userId === undefined) continue
    for (const row of (await findConsents(db, ctx.companyId, userId)).filter((r) => r.channel === channel)) {
      entries.push({ channel, type: row.type, isEligible: isEligible(row, address, channel) })
    }
  }
  return {
    subscriptionEligibilities: entries.sort(byResponseOrder).map((e) => ({
      subscription: { type: e.type, channel: e.channel },
      eligibility: { isEligible: e.isEligible },
    })),
  }
}
