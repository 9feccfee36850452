import { randomInt } from 'node:crypto'

/**
 * The error catalogue: every error a client can cause, with a stable snake_case code and its HTTP status.
 * Features add their codes here so the whole list stays on one screen (docs/adr/0003-error-body.md).
 */
export const ERROR_STATUS = {
  // request shape (every route)
  invalid_json: 400,
  validation_failed: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_found: 404,
  uri_too_long: 414,
  method_not_allowed: 405,
  // authentication and limits
  unauthorized: 401,
  forbidden: 403,
  missing_scope: 403,
  rate_limited: 429,
  // idempotency
  idempotency_key_reused: 422,
  idempotency_key_in_flight: 409,
  // companies and keys
  unknown_company: 404,
  unknown_api_key: 404,
  invalid_scope: 400,
  // subscribers: identifiers, sign-up sources, consent, attributes
  invalid_phone: 400,
  invalid_email: 400,
  missing_identifier: 400,
  sign_up_source_required: 400,
  unknown_sign_up_source: 400,
  ambiguous_sign_up_source: 400,
  sign_up_source_channel_mismatch: 400,
  sign_up_source_exists: 400,
  sign_up_source_not_found: 404,
  unknown_user: 404,
  invalid_attribute: 400,
  attribute_limit_exceeded: 400,
  already_unsubscribed: 409,
  // webhooks
  unknown_webhook: 404,
  unknown_delivery: 404,
  invalid_webhook_url: 400,
  unknown_event_type: 400,
  duplicate_event_type: 400,
  webhook_disabled: 400,
  // events
  unknown_event_kind: 400,
  invalid_event_type: 400,
  invalid_properties: 400,
  invalid_occurred_at: 400,
  invalid_price: 400,
  invalid_currency: 400,
  invalid_quantity: 400,
  invalid_cursor: 400,
  // messages
  no_consent: 400,
  unmatched_phone: 404,
  unknown_subscriber: 400,
  country_not_enabled: 400,
  invalid_body: 400,
  body_too_long: 400,
  invalid_template: 400,
  invalid_media: 400,
  message_id_reused: 422,
  unknown_message: 404,
  unknown_link: 404,
  // faults
  internal_error: 500,
  unavailable: 503,
} as const

/** A stable error code; the closed union that clients may switch on. */
export type ErrorCode = keyof typeof ERROR_STATUS

/** One failing field of a request, as listed in `error.details`. */
export interface FieldError {
  field: string
  message: string
}

/**
 * What the domain throws for an expected failure. Never an HTTP framework error: the error handler in app.ts
 * turns it into the JSON body. `message` names the field, says what was wrong and gives the expected form.
 */
export class AppError extends Error {
  override name = 'AppError'
  readonly code: ErrorCode
  readonly status: number
  readonly field: string | undefined
  readonly details: FieldError[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; details?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message)
    this.code = code
    this.status = ERROR_STATUS[code]
    this.field = options.field
    this.details = options.details
    this.headers = options.headers
  }
}

/** Shorthand for a 400 about one field. */
export function invalidField(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, { field, details: [{ field, message }] })
}

/** The JSON error body: a superset of Attentive's `ErrorResponseDto` (`error.id` is an integer). */
export interface ErrorBody {
  error: {
    id: number
    code: ErrorCode
    message: string
    field?: string
    details?: FieldError[]
    requestId?: string
  }
}

/** Builds the body; `id` is a random integer that also appears in the log line of the request. */
export function errorBody(error: AppError, requestId?: string): ErrorBody {
  return {
    error: {
      id: randomInt(1, 2 ** 47),
      code: error.code,
      message: error.message,
      ...(error.field !== undefined ? { field: error.field } : {}),
      ...(error.details !== undefined ? { details: error.details } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    },
  }
}
