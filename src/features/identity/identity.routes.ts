import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../http/errors.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { emailField, externalIdentifiers, phoneField } from '../users/identifiers.ts'
import { identifierRows, resolveUser, type UserIdentifiers } from '../users/identity.service.ts'
import { IdentifyBodySchema, type IdentifyBody } from './identity.schemas.ts'

/** The identifiers of an Identity API body, or a 400 naming the field (ATTENTIVE_API.md §2.6). */
function identifiersOf(body: IdentifyBody | undefined, country: string | undefined): UserIdentifiers {
  if (body === undefined) {
    throw new AppError(
      'missing_identifier',
      'body: send a JSON object with at least two identifiers, e.g. {"phone": "+17707651750", "clientUserId": "u-123"}',
      {
        field: 'body',
      },
    )
  }
  const ids: UserIdentifiers = { ...externalIdentifiers(body, 'body') }
  const phone = phoneField(body.phone, 'phone', country)
  const email = emailField(body.email, 'email', 100)
  if (phone !== undefined) ids.phone = phone
  if (email !== undefined) ids.email = email
  const count = identifierRows(ids).length
  if (count === 0) {
    throw new AppError(
      'missing_identifier',
      'body: needs an identifier: phone, email, clientUserId, shopifyId, klaviyoId or customIdentifiers',
      {
        field: 'body',
      },
    )
  }
  // [OA]: a clientUserId or custom identifier means nothing alone; it must come with another identifier to link.
  if (count === 1 && (ids.clientUserId !== undefined || ids.customIdentifiers !== undefined)) {
    const field = ids.clientUserId !== undefined ? 'clientUserId' : 'customIdentifiers'
    throw new AppError(
      'missing_identifier',
      `${field}: needs another identifier beside it to link to, such as phone or email`,
      { field },
    )
  }
  return ids
}

/** Attentive's Identity API: links identifiers of one person, merging profiles they show to be the same. */
export async function identityRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/v1/identity-resolution/user-identifiers',
    {
      config: { auth: 'key', scope: 'identity:write', rateFamily: 'identity' },
      schema: {
        tags: ['Attentive-compatible'],
        summary: 'Link identifiers of one person (profiles they name are merged)',
        body: IdentifyBodySchema,
        response: {
          202: Type.Object({}),
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          429: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { company } = request.apiKey
      const ids = identifiersOf(request.body, company.settings.defaultCountry)
      await deps.db.transaction().execute((tx) => resolveUser(tx, company.id, ids, deps.clock.now()))
      return reply.status(202).send({})
    },
  )
}
