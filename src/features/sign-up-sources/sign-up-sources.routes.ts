import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { AppError } from '../../http/errors.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { findSignUpSource, listSignUpSources, toApiSignUpSource } from './sign-up-sources.queries.ts'
import {
  CreateSignUpSourceSchema,
  SignUpSourceIdParams,
  SignUpSourceSchema,
  UpdateSignUpSourceSchema,
} from './sign-up-sources.schemas.ts'
import { createSignUpSource, updateSignUpSource } from './sign-up-sources.service.ts'

const tags = ['Attune addition']
const write = { auth: 'key' as const, scope: 'subscriptions:write' as const }
const read = { auth: 'key' as const, scope: 'subscriptions:read' as const }

/** `/v1/sign-up-sources`: the forms and flows that collect consent, with their versioned disclosures. */
export async function signUpSourceRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/v1/sign-up-sources',
    {
      config: write,
      schema: {
        tags,
        summary: 'Create a sign-up source (the id may be chosen, so ids kept from Attentive stay valid)',
        body: CreateSignUpSourceSchema,
        response: {
          201: SignUpSourceSchema,
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          429: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const companyId = request.apiKey.company.id
      const row = await deps.db
        .transaction()
        .execute((tx) => createSignUpSource(tx, companyId, request.body, deps.clock.now()))
      return reply.status(201).send(toApiSignUpSource(row))
    },
  )

  app.get(
    '/v1/sign-up-sources',
    {
      config: read,
      schema: {
        tags,
        summary: "List the company's sign-up sources",
        response: {
          200: Type.Object({ signUpSources: Type.Array(SignUpSourceSchema) }),
          403: ErrorResponseSchema,
        },
      },
    },
    async (request) => ({
      signUpSources: (await listSignUpSources(deps.db, request.apiKey.company.id)).map(toApiSignUpSource),
    }),
  )

  app.get(
    '/v1/sign-up-sources/:id',
    {
      config: read,
      schema: {
        tags,
        summary: 'Read a sign-up source with its current disclosure',
        params: SignUpSourceIdParams,
        response: { 200: SignUpSourceSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const row = await findSignUpSource(deps.db, request.apiKey.company.id, request.params.id)
      if (!row)
        throw new AppError(
          'sign_up_source_not_found',
          `id: no sign-up source '${request.params.id}' in this company`,
          { field: 'id' },
        )
      return toApiSignUpSource(row)
    },
  )

  app.patch(
    '/v1/sign-up-sources/:id',
    {
      config: write,
      schema: {
        tags,
        summary: 'Change a sign-up source; a new disclosure text becomes a new version',
        params: SignUpSourceIdParams,
        body: UpdateSignUpSourceSchema,
        response: {
          200: SignUpSourceSchema,
          400: ErrorResponseSchema,
          403: ErrorResponseSchema,
          404: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const companyId = request.apiKey.company.id
      const row = await deps.db
        .transaction()
        .execute((tx) => updateSignUpSource(tx, companyId, request.params.id, request.body, deps.clock.now()))
      return toApiSignUpSource(row)
    },
  )
}
