import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../http/errors.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { emailField, phoneField, restorePlus } from './identifiers.ts'
import { findUserId } from './identity.service.ts'
import { consentEvidence, loadProfile } from './profile.ts'
import { ConsentEvidenceSchema, ProfileSchema, UserIdParams, UsersQuerySchema } from './users.schemas.ts'

const tags = ['Attune addition']
const config = { auth: 'key' as const, scope: 'subscriptions:read' as const }

// The answer never repeats the id: a 404 tells the caller nothing about whom another company holds.
const unknownUser = () =>
  new AppError('unknown_user', 'id: this company has no such user; use an id from GET /v1/users', {
    field: 'id',
  })

function userIdOf(encoded: string): number {
  const id = decodeObjectId('User', encoded)
  if (id === undefined) throw unknownUser()
  return id
}

/** Profiles with their consent history, and the evidence export a brand hands its counsel. */
export async function userRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.get(
    '/v1/users',
    {
      config,
      schema: {
        tags,
        summary:
          'The profile with this phone, email or clientUserId: identifiers, attributes, consents and ledger',
        querystring: UsersQuerySchema,
        response: {
          200: Type.Object({ users: Type.Array(ProfileSchema) }),
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const { company } = request.apiKey
      const { phone, email, clientUserId } = request.query
      if (phone === undefined && email === undefined && clientUserId === undefined) {
        throw new AppError(
          'missing_identifier',
          'phone: send phone (+ written as %2B), email or clientUserId',
          { field: 'phone' },
        )
      }
      const lookups = [
        phone !== undefined
          ? { phone: phoneField(restorePlus(phone), 'phone', company.settings.defaultCountry) }
          : undefined,
        email !== undefined ? { email: emailField(email, 'email') } : undefined,
        clientUserId !== undefined ? { clientUserId } : undefined,
      ]
      const ids = new Set<number>()
      for (const lookup of lookups) {
        const id = lookup ? await findUserId(deps.db, company.id, lookup) : undefined
        if (id !== undefined) ids.add(id)
      }
      const users = []
      for (const id of ids) {
        const profile = await loadProfile(deps.db, company.id, id)
        if (profile) users.push(profile)
      }
      return { users }
    },
  )

  app.get(
    '/v1/users/:id',
    {
      config,
      schema: {
        tags,
        summary: 'A profile (a merged id answers with the profile it was merged into)',
        params: UserIdParams,
        response: { 200: ProfileSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const profile = await loadProfile(deps.db, request.apiKey.company.id, userIdOf(request.params.id))
      if (!profile) throw unknownUser()
      return profile
    },
  )

  app.get(
    '/v1/users/:id/consent-evidence',
    {
      config,
      schema: {
        tags,
        summary: 'The evidence of each consent of a profile, as JSON',
        params: UserIdParams,
        response: { 200: ConsentEvidenceSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const evidence = await consentEvidence(
        deps.db,
        request.apiKey.company.id,
        userIdOf(request.params.id),
        deps.clock.now(),
      )
      if (!evidence) throw unknownUser()
      return evidence
    },
  )
}
