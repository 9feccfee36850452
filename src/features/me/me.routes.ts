import Type from 'typebox'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { encodeObjectId } from '../../http/object-id.ts'
import { ErrorResponseSchema } from '../../http/openapi.ts'

const MeSchema = Type.Object({
  applicationName: Type.String(),
  attentiveDomainName: Type.String(),
  companyName: Type.String(),
  contactEmail: Type.String(),
  companyId: Type.String(),
})

/** `GET /v1/me` (and `/v2/me`): the calling key's application and company, as Attentive answers it. */
export async function meRoutes(app: App, { deps }: { deps: Deps }): Promise<void> {
  const linkHost = new URL(deps.config.publicUrl).host
  const handler = async (request: { apiKey: import('../api-keys/api-keys.queries.ts').AuthenticatedKey }) => {
    const { apiKey } = request
    return {
      applicationName: apiKey.keyName,
      attentiveDomainName: apiKey.company.domain ?? linkHost,
      companyName: apiKey.company.name,
      contactEmail: apiKey.contactEmail ?? '',
      companyId: encodeObjectId('Company', apiKey.company.id),
    }
  }
  const schema = {
    tags: ['Attentive-compatible'],
    summary: 'The application and company of the calling token',
    response: { 200: MeSchema, 429: ErrorResponseSchema },
  }
  app.get('/v1/me', { config: { auth: 'key' }, schema }, handler)
  app.get('/v2/me', { config: { auth: 'key' }, schema }, handler)
}
