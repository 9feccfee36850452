import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { isTimeZone } from '../../compliance/local-time.ts'
import { AppError, invalidField } from '../../http/errors.ts'
import { decodeObjectId, encodeObjectId } from '../../http/object-id.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'
import { insertKey, listKeys, revokeKey } from '../api-keys/api-keys.queries.ts'
import { FULL_ACCESS, normaliseScope } from '../api-keys/scopes.ts'
import {
  ApiKeyParams,
  ApiKeySchema,
  CompanyParams,
  CompanySchema,
  CreateApiKeySchema,
  CreateCompanySchema,
  UpdateCompanySchema,
} from './companies.schemas.ts'
import { findCompany, insertCompany, listCompanies, toApiCompany, updateCompany } from './companies.queries.ts'

const admin = { auth: 'admin' as const }
/** Time allowed after this process hears a revocation for the other processes to hear it too (measured: ≤ 5 ms). */
const REVOCATION_MARGIN_MS = 50
const tags = ['Admin']

function companyIdOf(encoded: string): number {
  const id = decodeObjectId('Company', encoded)
  if (id === undefined) throw new AppError('unknown_company', `companyId: no company ${encoded}`, { field: 'companyId' })
  return id
}

async function requireCompany(deps: Deps, encoded: string) {
  const company = await findCompany(deps.db, companyIdOf(encoded))
  if (!company) throw new AppError('unknown_company', `companyId: no company ${encoded}`, { field: 'companyId' })
  return company
}

function canonicalScopes(scopes: string[]): string[] {
  const canonical = scopes.map((scope, index) => {
    const normal = normaliseScope(scope)
    if (!normal) {
      throw new AppError(
        'invalid_scope',
        `scopes[${index}]: '${scope}' is not a scope; expected <resource>:read|write|all, e.g. events:write`,
        { field: `scopes[${index}]` },
      )
    }
    return normal
  })
  return [...new Set(canonical)]
}

/** The operator API: companies (tenants) and their API keys. */
export async function companyRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  app.post(
    '/companies',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Create a company and its first, full-access API key (shown once)',
        body: CreateCompanySchema,
        response: { 201: Type.Object({ company: CompanySchema, apiKey: Type.String() }), 400: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const created = await deps.db.transaction().execute(async (tx) => {
        const company = await insertCompany(tx, request.body)
        const key = await insertKey(tx, company.id, { name: 'Default', scopes: FULL_ACCESS })
        return { company, key }
      })
      return reply.status(201).send({ company: toApiCompany(created.company), apiKey: created.key.secret })
    },
  )

  app.get(
    '/companies',
    { config: admin, schema: { tags, summary: 'List companies', response: { 200: Type.Object({ companies: Type.Array(CompanySchema) }) } } },
    async () => ({ companies: (await listCompanies(deps.db)).map(toApiCompany) }),
  )

  app.get(
    '/companies/:companyId',
    { config: admin, schema: { tags, summary: 'Read a company', params: CompanyParams, response: { 200: CompanySchema, 404: ErrorResponseSchema } } },
    async (request) => toApiCompany(await requireCompany(deps, request.params.companyId)),
  )

  app.patch(
    '/companies/:companyId',
    {
      config: admin,
      schema: {
        tags,
        summary: "Change a company's name or settings (rate-limit overrides)",
        params: CompanyParams,
        body: UpdateCompanySchema,
        response: { 200: CompanySchema, 400: ErrorResponseSchema, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const zone = request.body.settings?.timeZone
      if (zone !== undefined && !isTimeZone(zone)) {
        throw invalidField('settings.timeZone', `'${zone}' is not a time zone; expected an IANA zone such as America/Chicago`)
      }
      const updated = await updateCompany(deps.db, companyIdOf(request.params.companyId), request.body)
      app.keyCache.clear()
      if (!updated) throw new AppError('unknown_company', `companyId: no company ${request.params.companyId}`)
      return toApiCompany(updated)
    },
  )

  app.post(
    '/companies/:companyId/api-keys',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Create an API key with the given scopes (the key is shown once)',
        params: CompanyParams,
        body: CreateApiKeySchema,
        response: {
          201: Type.Object({ id: Type.Integer(), apiKey: Type.String(), scopes: Type.Array(Type.String()) }),
          400: ErrorResponseSchema,
          404: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const company = await requireCompany(deps, request.params.companyId)
      const scopes = canonicalScopes(request.body.scopes)
      const key = await insertKey(deps.db, company.id, { ...request.body, scopes })
      return reply.status(201).send({ id: key.id, apiKey: key.secret, scopes })
    },
  )

  app.get(
    '/companies/:companyId/api-keys',
    {
      config: admin,
      schema: {
        tags,
        summary: "List a company's API keys (never their secrets)",
        params: CompanyParams,
        response: { 200: Type.Object({ apiKeys: Type.Array(ApiKeySchema) }), 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const company = await requireCompany(deps, request.params.companyId)
      const keys = await listKeys(deps.db, company.id)
      return {
        apiKeys: keys.map((key) => ({
          id: key.id,
          name: key.name,
          prefix: key.key_prefix,
          scopes: key.scopes,
          contactEmail: key.contact_email,
          createdAt: key.created_at.toISOString(),
          revokedAt: key.revoked_at ? key.revoked_at.toISOString() : null,
        })),
      }
    },
  )

  app.delete(
    '/companies/:companyId/api-keys/:keyId',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Revoke an API key; every process refuses it at once',
        params: ApiKeyParams,
        response: { 204: Type.Null(), 404: ErrorResponseSchema },
      },
    },
    async (request, reply) => {
      const companyId = companyIdOf(request.params.companyId)
      // The answer waits until the revocation's NOTIFY has reached this process, plus a margin for the other
      // listeners, so a request sent to any process after the 204 is refused (ADR 0005).
      const heard = app.keyCache.heard(request.params.keyId)
      const revoked = await revokeKey(deps.db, companyId, request.params.keyId, deps.clock.now())
      app.keyCache.clear()
      if (revoked) await heard.then(() => new Promise((resolve) => setTimeout(resolve, REVOCATION_MARGIN_MS)))
      if (!revoked) {
        throw new AppError('unknown_api_key', `keyId: company ${encodeObjectId('Company', companyId)} has no key ${request.params.keyId}`, {
          field: 'keyId',
        })
      }
      return reply.status(204).send(null)
    },
  )
}
