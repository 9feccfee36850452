import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
} from 'libphonenumber-js/max'

/** What `normalisePhone` answers: the E.164 form, or why the input is not a number Attune can text. */
export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string }

// Letters mean text around the number ("Call 770-765-1750 now"), a vanity number (1-800-FLOWERS) or an
// extension ("ext. 12", "x12"): libphonenumber extracts a number from all three (COMPLIANCE.md §5.1), so they
// are refused before it sees them. \p{Nd} keeps full-width and Arabic-Indic digits, which it normalises.
const LETTERS = /\p{L}/u
const ALLOWED = /^\+?[\p{Nd}\s().\-/]+$/u
// Attentive's own examples of malformed E.164 (ATTENTIVE_API.md §1.7): "+1---914---844---0001", "1 () 914 ...".
const MALFORMED = /[-./]{2,}|\(\s*\)/

/**
 * Normalises a phone number as typed by a person or sent by an integrator to E.164 (`+17707651750`). National
 * numbers are read in `defaultCountry` (the company's country, US unless set); `tel:` URIs and international
 * dialling prefixes (`011 44 …`, `00 …`) are understood. Refused: text around the number, letters (vanity
 * numbers), extensions, and numbers that libphonenumber's full metadata says are not valid (`555-555-5555`:
 * NPA 555 is not assigned). Pure: no I/O.
 */
export function normalisePhone(input: string, defaultCountry = 'US'): PhoneResult {
  let text = input.normalize('NFKC').trim()
  if (text === '') return { ok: false, reason: 'is empty' }
  if (text.length > 64) return { ok: false, reason: 'is too long to be a phone number' }
  if (/^tel:/i.test(text)) {
    text = text.slice(4)
    if (text.includes(';'))
      return { ok: false, reason: 'has tel: URI parameters (such as an extension); send only the number' }
  }
  if (/(^|[\s\d.])(ext|x)\.?\s*\d/i.test(text) || text.includes('#') || text.includes(',')) {
    return { ok: false, reason: 'has an extension; a text message cannot reach an extension' }
  }
  if (LETTERS.test(text))
    return { ok: false, reason: 'contains letters; send only the number (no words, no vanity letters)' }
  if (!ALLOWED.test(text) || MALFORMED.test(text)) {
    return { ok: false, reason: 'contains characters that are not part of a phone number' }
  }
  const upper = defaultCountry.toUpperCase()
  const country: CountryCode = isSupportedCountry(upper) ? upper : 'US'
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: country, extract: false })
  if (!parsed) return { ok: false, reason: 'is not a phone number' }
  if (parsed.ext) return { ok: false, reason: 'has an extension; a text message cannot reach an extension' }
  if (!parsed.isValid()) {
    const length = validatePhoneNumberLength(text, { defaultCountry: country })
    if (length === 'TOO_SHORT') return { ok: false, reason: 'is too short to be a phone number' }
    if (length === 'TOO_LONG') return { ok: false, reason: 'is too long to be a phone number' }
    return { ok: false, reason: 'is not a valid phone number (no such number is assigned)' }
  }
  return { ok: true, e164: parsed.number }
}

/** The message of the 400 for a refused phone: names the field and shows the expected forms. */
export function phoneErrorMessage(field: string, input: string, reason: string): string {
  return `${field}: '${input}' ${reason}; use E.164 such as +17707651750, or a national number such as (770) 765-1750`
}
