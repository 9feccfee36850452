import type { AttributeType } from './attributes.schema.ts'

/** A flat attribute value as a request may send it. */
export type AttributeInput = string | number | boolean

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i

function isDate(text: string): boolean {
  const match = DATE.exec(text)
  if (match) {
    const [, y, m, d] = match.map(Number) as [number, number, number, number]
    const date = new Date(Date.UTC(y, m - 1, d))
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
  }
  return DATE_TIME.test(text) && !Number.isNaN(Date.parse(text))
}

/**
 * The type a first value fixes (ATTENTIVE_API.md §2.4), tried in order: boolean (true/false, or those words in
 * any case), number (a JSON number or a numeric string: "24" is a Number), ISO 8601 date or date-time, string.
 */
export function inferType(value: AttributeInput): AttributeType {
  if (typeof value === 'boolean') return 'BOOLEAN'
  if (typeof value === 'number') return 'NUMBER'
  const text = value.trim()
  if (/^(true|false)$/i.test(text)) return 'BOOLEAN'
  if (NUMBER.test(text) && Number.isFinite(Number(text))) return 'NUMBER'
  if (isDate(text)) return 'DATE'
  return 'STRING'
}

/**
 * The stored text of `value` for an attribute of `type`: canonical when it fits ("TRUE" → "true", "050.890" →
 * "50.89", dates as sent) and the value as sent when it does not, which typed segment conditions then treat as
 * a non-match.
 */
export function canonicalValue(value: AttributeInput, type: AttributeType): { value: string; fits: boolean } {
  const asSent = String(value)
  if (type === 'STRING') return { value: asSent, fits: true }
  if (inferType(value) !== type) return { value: asSent, fits: false }
  if (type === 'BOOLEAN') return { value: String(asSent.trim().toLowerCase() === 'true'), fits: true }
  if (type === 'NUMBER') return { value: String(Number(asSent.trim())), fits: true }
  return { value: asSent.trim(), fits: true }
}
