import { Ajv, type ErrorObject, type Options } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { AppError, type FieldError } from './errors.ts'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/**
 * Ajv per part of the request (docs/adr/0004-validation.md). Bodies: no type coercion (a custom attribute "24"
 * must stay a string), no removal of unknown fields (a schema with additionalProperties:false rejects them; the
 * Attentive-compatible schemas leave it open and so ignore extras), every error listed (allErrors), defaults
 * applied. Query strings and path parameters arrive as strings and are coerced.
 */
const common: Options = { allErrors: true, useDefaults: true, removeAdditional: false, verbose: true, strict: false }
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }))
const paramAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }))

/** Fastify validator compiler choosing the Ajv for the part being validated. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : paramAjv
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>
}

const PART_PREFIX: Record<string, string> = { body: '', querystring: '', params: '', headers: 'header ' }

/** Turns Ajv's errors into one AppError listing every failing field with its expected form. */
export function toValidationError(errors: ErrorObject[], part: string): AppError {
  const details: FieldError[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    const detail = describe(error, PART_PREFIX[part] ?? '')
    if (!detail) continue
    const key = `${detail.field}\u0000${detail.message}`
    if (seen.has(key)) continue
    seen.add(key)
    details.push(detail)
  }
  if (details.length === 0) details.push({ field: part, message: 'is not valid' })
  const message = details.map((d) => `${d.field}: ${d.message}`).join('; ')
  return new AppError('validation_failed', message, { field: details[0]?.field ?? part, details })
}

function pathOf(instancePath: string, prefix: string, child?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (child !== undefined) parts.push(child)
  const joined = parts.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '')
  return `${prefix}${joined || 'body'}`
}

function expected(error: ErrorObject): string {
  const schema = error.parentSchema as { description?: string } | undefined
  return schema?.description ? `; expected ${schema.description}` : ''
}

function describe(error: ErrorObject, prefix: string): FieldError | undefined {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return { field: pathOf(error.instancePath, prefix, String(params.missingProperty)), message: 'is required' }
    case 'additionalProperties':
      return {
        field: pathOf(error.instancePath, prefix, String(params.additionalProperty)),
        message: 'is not a known field; remove it',
      }
    case 'anyOf':
    case 'oneOf':
    case 'if':
      // The branches' own errors say more; keep this one only if it is all there is.
      return undefined
    case 'type':
      return { field: pathOf(error.instancePath, prefix), message: `must be ${article(String(params.type))}${expected(error)}` }
    case 'enum':
      return {
        field: pathOf(error.instancePath, prefix),
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      }
    case 'const':
      return { field: pathOf(error.instancePath, prefix), message: `must be ${JSON.stringify(params.allowedValue)}` }
    case 'minLength':
      return {
        field: pathOf(error.instancePath, prefix),
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`,
      }
    case 'maxLength':
      return { field: pathOf(error.instancePath, prefix), message: `must be at most ${String(params.limit)} characters` }
    case 'minItems':
      return { field: pathOf(error.instancePath, prefix), message: `must have at least ${String(params.limit)} items` }
    case 'maxItems':
      return { field: pathOf(error.instancePath, prefix), message: `must have at most ${String(params.limit)} items` }
    case 'minProperties':
      return { field: pathOf(error.instancePath, prefix), message: `must have at least ${String(params.limit)} field(s)` }
    case 'maxProperties':
      return { field: pathOf(error.instancePath, prefix), message: `must have at most ${String(params.limit)} fields` }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        field: pathOf(error.instancePath, prefix),
        message: `must be ${String(params.comparison)} ${String(params.limit)}`,
      }
    case 'pattern':
      return {
        field: pathOf(error.instancePath, prefix),
        message: `does not have the expected form${expected(error) || `; expected to match ${String(params.pattern)}`}`,
      }
    case 'format':
      return { field: pathOf(error.instancePath, prefix), message: `must be a valid ${String(params.format)}` }
    default:
      return { field: pathOf(error.instancePath, prefix), message: `${error.message ?? 'is not valid'}${expected(error)}` }
  }
}

function article(type: string): string {
  const names = type.split(',').map((t) => ({ integer: 'an integer', object: 'an object', array: 'an array' })[t] ?? `a ${t}`)
  return names.join(' or ')
}
