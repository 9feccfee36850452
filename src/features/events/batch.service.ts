import type { ErrorObject } from 'ajv'
import { grants, type RequiredScope } from '../api-keys/scopes.ts'
import { AppError, type FieldError } from '../../http/errors.ts'
import { toValidationError, validatorCompiler } from '../../http/validation.ts'
import type { EventWriter } from './event-writer.ts'
import type { EventKind } from './events.schema.ts'
import {
  BATCH_KINDS,
  CustomEventSchema,
  EcommerceEventSchema,
  type BatchKind,
  type CustomEventBody,
  type EcommerceEventBody,
} from './events.schemas.ts'
import { prepareCustomEvent, prepareEcommerceEvent, type EventSource, type PreparedEvent } from './events.service.ts'

/** One item's answer in `POST /v1/events/batch`. */
export interface BatchResult {
  index: number
  status: number
  error?: { code: string; message: string; field?: string; details?: FieldError[] }
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

// The same Ajv, with the same options, as the single endpoints' bodies: an item is valid in a batch exactly when
// it would be valid on its own.
const compile = (schema: object) => validatorCompiler({ schema, method: 'POST', url: '/v1/events/batch', httpPart: 'body' }) as Validate
const validateCustom = compile(CustomEventSchema)
const validateEcommerce = compile(EcommerceEventSchema)

const KIND_OF: Record<Exclude<BatchKind, 'custom'>, Exclude<EventKind, 'custom'>> = {
  'product-view': 'product_view',
  'add-to-cart': 'add_to_cart',
  purchase: 'purchase',
}

/** The scope each item needs: what its single endpoint requires (ATTENTIVE_API.md §1.2). */
export function scopeFor(kind: BatchKind): RequiredScope {
  return kind === 'custom' ? 'events:write' : 'ecommerce:write'
}

function isBatchKind(kind: string): kind is BatchKind {
  return (BATCH_KINDS as readonly string[]).includes(kind)
}

function prefixed(error: AppError, prefix: string): AppError {
  const rename = (field: string) => (field === 'body' ? prefix : `${prefix}.${field}`)
  const details = error.details?.map((detail) => ({ field: rename(detail.field), message: detail.message }))
  const message = details ? details.map((d) => `${d.field}: ${d.message}`).join('; ') : error.message
  return new AppError(error.code, message, {
    ...(error.field !== undefined ? { field: rename(error.field) } : {}),
    ...(details ? { details } : {}),
  })
}

/** Checks one item as its single endpoint would; throws the AppError naming `events[i].<field>`. */
function prepareItem(item: unknown, index: number, source: EventSource, scopes: readonly string[]): PreparedEvent {
  const prefix = `events[${index}]`
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new AppError('validation_failed', `${prefix}: must be an object {kind, ...the single endpoint's body}`, { field: prefix })
  }
  const { kind } = item as { kind?: unknown }
  if (typeof kind !== 'string' || !isBatchKind(kind)) {
    const given = kind === undefined ? 'is required' : `${JSON.stringify(kind)} is not an event kind`
    throw new AppError('unknown_event_kind', `${prefix}.kind: ${given}; use ${BATCH_KINDS.join(', ')}`, { field: `${prefix}.kind` })
  }
  const scope = scopeFor(kind)
  if (!grants(scopes, scope)) {
    throw new AppError('missing_scope', `${prefix}: this API key lacks the scope ${scope} that ${kind} events need`, {
      field: `${prefix}.kind`,
    })
  }
  const validate = kind === 'custom' ? validateCustom : validateEcommerce
  if (!validate(item)) throw prefixed(toValidationError(validate.errors ?? [], 'body'), prefix)
  return kind === 'custom'
    ? prepareCustomEvent(item as unknown as CustomEventBody, source, prefix)
    : prepareEcommerceEvent(KIND_OF[kind], item as unknown as EcommerceEventBody, source, prefix)
}

function failure(index: number, error: unknown): BatchResult {
  const known =
    error instanceof AppError
      ? error
      : new AppError('internal_error', `events[${index}]: could not be stored because of an internal error; send it again`)
  return {
    index,
    status: known.status,
    error: {
      code: known.code,
      message: known.message,
      ...(known.field !== undefined ? { field: known.field } : {}),
      ...(known.details !== undefined ? { details: known.details } : {}),
    },
  }
}

/**
 * `POST /v1/events/batch`: every item is checked on its own, as its single endpoint would check it, and the good
 * ones are written together in one transaction (group commit's batch path); a bad item is reported with its
 * status and error and never keeps the others from being stored. Results are in request order.
 */
export async function writeBatch(
  writer: EventWriter,
  items: unknown[],
  source: EventSource,
  scopes: readonly string[],
): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array<BatchResult>(items.length)
  const ready: Array<{ index: number; event: PreparedEvent }> = []
  items.forEach((item, index) => {
    try {
      ready.push({ index, event: prepareItem(item, index, source, scopes) })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      results[index] = failure(index, error)
    }
  })
  if (ready.length > 0) {
    const outcomes = await writer.writeMany(ready.map((entry) => entry.event))
    ready.forEach(({ index }, position) => {
      const outcome = outcomes[position]
      results[index] = outcome instanceof Error || outcome === undefined ? failure(index, outcome) : { index, status: 200 }
    })
  }
  return results
}
