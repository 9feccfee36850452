import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../http/errors.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { flatProperties, setCustomAttributes } from '../attributes/attributes.service.ts'
import { findSignUpSource, listSignUpSources } from '../sign-up-sources/sign-up-sources.queries.ts'
import { emailField, phoneField } from '../users/identifiers.ts'
import { resolveUser } from '../users/identity.service.ts'
import { optOut } from './consent.service.ts'
import { signUp } from './sign-up.service.ts'

const tags = ['Attentive-compatible']
const LEGACY_SOURCE_NAME = 'Legacy API'

const AddSubscriberSchema = Type.Object({
  phone: Type.String({ maxLength: 64 }),
  visitorId: Type.Optional(Type.String({ maxLength: 200 })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 200 })),
})

const LegacyUnsubscribeSchema = Type.Object({
  phone: Type.String({ maxLength: 64 }),
  sendOptOutMessage: Type.Boolean(),
})

/**
 * Attentive's legacy-token subscriber calls (ATTENTIVE_API.md §2.12): `/1/add-subscribers` signs a number up
 * through the company's "Legacy API" source (or the source `metadata.creativeId` names), and
 * `/1/subscribers/unsubscribe` opts it out of every TEXT subscription (409 when it already was).
 */
export async function legacySubscriberRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/1/add-subscribers',
    {
      config: { auth: 'key', legacy: true, scope: 'subscriptions:write', rateFamily: 'subscribe' },
      schema: {
        tags,
        summary:
          'Legacy: add a subscriber by phone (metadata.email links an email; other metadata keys become attributes)',
        body: AddSubscriberSchema,
        response: {
          200: Type.Object({}),
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          429: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { company, keyId } = request.apiKey
      const { creativeId: rawCreativeId, email: rawEmail, ...rest } = request.body.metadata ?? {}
      const creativeId =
        typeof rawCreativeId === 'string' || typeof rawCreativeId === 'number'
          ? String(rawCreativeId)
          : undefined
      const phone = phoneField(request.body.phone, 'phone', company.settings.defaultCountry) as string
      const email = typeof rawEmail === 'string' ? emailField(rawEmail, 'metadata.email') : undefined
      const attributes = flatProperties(rest, 'metadata')
      const now = deps.clock.now()
      await deps.db.transaction().execute(async (tx) => {
        const source =
          creativeId !== undefined
            ? await findSignUpSource(tx, company.id, creativeId)
            : (await listSignUpSources(tx, company.id)).find((s) => s.name === LEGACY_SOURCE_NAME)
        if (!source || !source.channels.includes('TEXT')) {
          throw new AppError(
            'unknown_sign_up_source',
            creativeId !== undefined
              ? `metadata.creativeId: no TEXT sign-up source '${creativeId}' in this company`
              : `phone: this company has no TEXT sign-up source named "${LEGACY_SOURCE_NAME}"; create one with POST /v1/sign-up-sources or send metadata.creativeId`,
            { field: creativeId !== undefined ? 'metadata.creativeId' : 'phone' },
          )
        }
        const { userId, created } = await resolveUser(tx, company.id, { phone, email }, now)
        await signUp(tx, company.id, userId, {
          requests: [{ channel: 'TEXT', address: phone, addressAsGiven: request.body.phone }],
          source,
          singleOptIn: false,
          emailDoubleOptIn: company.settings.emailDoubleOptIn ?? false,
          actor: { kind: 'api_key', id: String(keyId) },
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          now,
          newProfile: created,
        })
        await setCustomAttributes(tx, company.id, { phone }, attributes, now)
      })
      return {}
    },
  )

  app.post(
    '/1/subscribers/unsubscribe',
    {
      config: { auth: 'key', legacy: true, scope: 'subscriptions:write', rateFamily: 'unsubscribe' },
      schema: {
        tags,
        summary: 'Legacy: opt a phone out of every TEXT subscription',
        body: LegacyUnsubscribeSchema,
        response: {
          200: Type.Object({}),
          400: ErrorResponseSchema,
          409: ErrorResponseSchema,
          429: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { company, keyId } = request.apiKey
      const phone = phoneField(request.body.phone, 'phone', company.settings.defaultCountry) as string
      const now = deps.clock.now()
      await deps.db.transaction().execute(async (tx) => {
        const { userId } = await resolveUser(tx, company.id, { phone }, now)
        const outcomes = await optOut(tx, company.id, userId, {
          channel: 'TEXT',
          actor: { kind: 'api_key', id: String(keyId) },
          now,
          address: phone,
          evidence: {
            ip: request.ip,
            userAgent: request.headers['user-agent'],
            addressAsGiven: request.body.phone,
          },
          eventFields: { notification: { disabled: !request.body.sendOptOutMessage, language: 'en-US' } },
        })
        if (outcomes.length > 0 && outcomes.every((o) => o.previous === 'UNSUBSCRIBED')) {
          throw new AppError('already_unsubscribed', `phone: ${request.body.phone} is already opted out`, {
            field: 'phone',
          })
        }
      })
      return {}
    },
  )
}
