import Type, { type Static } from 'typebox'

const CompanyIdParam = Type.String({ maxLength: 64, description: 'a company id such as MDc6Q29tcGFueTI' })
const ScopeList = Type.Array(Type.String({ minLength: 3, maxLength: 64, description: 'a scope such as events:write' }), {
  minItems: 1,
  maxItems: 50,
})
const RateLimits = Type.Object(
  {
    default: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    subscribe: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    identity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    unsubscribe: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    catalogUpload: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false, description: 'requests per second per key, by endpoint family' },
)

/** Every company setting (src/db/schema.ts CompanySettings documents each default). */
const Settings = Type.Object(
  {
    rateLimits: Type.Optional(RateLimits),
    revokeAll: Type.Optional(Type.Boolean()),
    emailDoubleOptIn: Type.Optional(Type.Boolean()),
    defaultCountry: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'an ISO 3166-1 code such as US' })),
    helpText: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    supportContact: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    smsCountries: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Z]{2}$', description: 'an ISO 3166-1 code such as CA' }), { maxItems: 250 }),
    ),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'an IANA zone such as America/Chicago' })),
    frequencyCap: Type.Optional(
      Type.Union([
        Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 1000 }), windowHours: Type.Integer({ minimum: 1, maximum: 720 }) },
          { additionalProperties: false },
        ),
        Type.Literal(false),
      ]),
    ),
    maxSegments: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 })),
    eventRetentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500 })),
  },
  { additionalProperties: false },
)

export const CompanySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  domain: Type.Union([Type.String(), Type.Null()]),
  settings: Settings,
  createdAt: Type.String({ format: 'date-time' }),
})

export const CreateCompanySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    domain: Type.Optional(
      Type.String({ maxLength: 253, pattern: '^[A-Za-z0-9.-]+$', description: 'a host name such as acme.example' }),
    ),
  },
  { additionalProperties: false },
)
export type CreateCompany = Static<typeof CreateCompanySchema>

export const UpdateCompanySchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    settings: Type.Optional(Settings),
  },
  { additionalProperties: false },
)
export type UpdateCompany = Static<typeof UpdateCompanySchema>

export const CreateApiKeySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: ScopeList,
    contactEmail: Type.Optional(Type.String({ maxLength: 254, format: 'email' })),
  },
  { additionalProperties: false },
)
export type CreateApiKey = Static<typeof CreateApiKeySchema>

export const ApiKeySchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String({ description: 'the first 6 characters of the key' }),
  scopes: Type.Array(Type.String()),
  contactEmail: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})

export const CompanyParams = Type.Object({ companyId: CompanyIdParam })
export const ApiKeyParams = Type.Object({ companyId: CompanyIdParam, keyId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })
