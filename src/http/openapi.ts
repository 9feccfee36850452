import type { SwaggerOptions } from '@fastify/swagger'
import Type from 'typebox'

/** The OpenAPI 3.1 document generated from the route schemas (served at /openapi.json, rendered at /docs). */
export function openApiOptions(publicUrl: string): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Attune API',
        version: '1',
        description:
          'Consent-first SMS and email marketing. `/v1` is wire-compatible with Attentive\'s v1 API; operations ' +
          'tagged "Attune addition" exist only at Attune. `/admin/v1` is the operator API.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A company API key' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ATTUNE_ADMIN_TOKEN' },
        },
      },
      tags: [
        { name: 'Attentive-compatible', description: 'Answers exactly as Attentive\'s v1 API does' },
        { name: 'Attune addition', description: 'Endpoints only Attune has' },
        { name: 'Admin', description: 'Operator API, authorised by the admin token' },
        { name: 'Operations', description: 'Health, metrics and this document' },
      ],
    },
    // Routes declare their auth in `config`; the document states it per operation.
    transform: ({ schema, url, route }) => {
      const auth = route.config?.auth
      const security = auth === 'admin' ? [{ adminToken: [] }] : auth === 'key' ? [{ apiKey: [] }] : undefined
      const transformed = { ...(schema ?? {}), ...(security ? { security } : {}) } as Record<string, unknown>
      if (auth && !(transformed.response as Record<string, unknown> | undefined)?.['401']) {
        transformed.response = { ...((transformed.response) ?? {}), 401: ErrorResponseSchema }
      }
      return { schema: transformed, url }
    },
  }
}

/** The error body every failing request gets (http/errors.ts). */
export const ErrorResponseSchema = Type.Object(
  {
    error: Type.Object({
      id: Type.Integer(),
      code: Type.String(),
      message: Type.String(),
      field: Type.Optional(Type.String()),
      details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
      requestId: Type.Optional(Type.String()),
    }),
  },
  { description: 'Error' },
)
