import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../http/errors.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { emailField, parseEventUser, phoneField, restorePlus } from '../users/identifiers.ts'
import { findUserId } from '../users/identity.service.ts'
import { listAttributes } from './attributes.queries.ts'
import { AttributeListSchema, AttributesQuerySchema, SetAttributesBodySchema } from './attributes.schemas.ts'
import { flatProperties, setCustomAttributes } from './attributes.service.ts'

const tags = ['Attentive-compatible']
const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 429: ErrorResponseSchema }

/** Attentive's custom attributes: set on a profile (created if needed), read by phone or email. */
export async function attributeRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/v1/attributes/custom',
    {
      config: { auth: 'key', scope: 'attributes:write' },
      schema: {
        tags,
        summary: 'Create or update custom attributes of a profile',
        body: SetAttributesBodySchema,
        response: { 200: Type.Object({}), ...errors },
      },
    },
    async (request) => {
      const { company } = request.apiKey
      // Everything is validated before the transaction writes anything.
      const ids = parseEventUser(request.body.user, 'user', company.settings.defaultCountry)
      const entries = flatProperties(request.body.properties)
      await deps.db
        .transaction()
        .execute((tx) => setCustomAttributes(tx, company.id, ids, entries, deps.clock.now()))
      return {}
    },
  )

  app.get(
    '/v1/attributes/custom',
    {
      config: { auth: 'key', scope: 'attributes:read' },
      schema: {
        tags,
        summary: 'The custom attributes of the profile with this phone or email (values as strings)',
        querystring: AttributesQuerySchema,
        response: { 200: AttributeListSchema, ...errors },
      },
    },
    async (request) => {
      const { company } = request.apiKey
      const { phone, email } = request.query
      if ((phone === undefined) === (email === undefined)) {
        throw new AppError(
          'validation_failed',
          'phone: send exactly one of phone (E.164, + written as %2B) and email',
          {
            field: phone === undefined ? 'phone' : 'email',
          },
        )
      }
      const ids =
        phone !== undefined
          ? { phone: phoneField(restorePlus(phone), 'phone', company.settings.defaultCountry) }
          : { email: emailField(email, 'email') }
      const userId = await findUserId(deps.db, company.id, ids)
      if (userId === undefined) return []
      return (await listAttributes(deps.db, company.id, userId)).map((a) => ({
        name: a.name,
        value: a.value,
      }))
    },
  )
}
