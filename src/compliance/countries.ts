import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/** Whether a number's country may receive texts: its ISO country, or why not. */
export type CountryResult =
  | { ok: true; country: string }
  | { ok: false; reason: 'country_not_enabled'; country: string | null }
  | { ok: false; reason: 'invalid_number' }

/**
 * SMS countries when a company has not chosen: the US, Canada and the UK, the only ones Attentive's legacy
 * Messages API accepts (seed 002, SPEC §4).
 */
export const DEFAULT_SMS_COUNTRIES: readonly string[] = ['US', 'CA', 'GB']

const E164 = /^\+[1-9]\d{6,14}$/

/**
 * Decides whether an E.164 number (normalise it first: `compliance/phone.ts`) is in a country the company sends
 * to. The country is libphonenumber's full-metadata answer, never the calling code, because +1 and +44 are shared
 * (COMPLIANCE.md §2.3): +1 441 is Bermuda, +1 876 Jamaica, +1 787 Puerto Rico, +44 7911 Guernsey. Codes match
 * exactly: "US" does not include Puerto Rico, the Virgin Islands, Guam, American Samoa or the Northern Marianas,
 * and "GB" does not include Guernsey, Jersey or the Isle of Man (their own laws and regulators); a company enables
 * them by name. "UK" in the list is read as "GB". Numbers libphonenumber does not consider valid are refused.
 */
export function countryAllowed(
  e164: string,
  enabledCountries: readonly string[] = DEFAULT_SMS_COUNTRIES,
): CountryResult {
  if (!E164.test(e164)) return { ok: false, reason: 'invalid_number' }
  const parsed = parsePhoneNumberFromString(e164)
  if (!parsed?.isValid()) return { ok: false, reason: 'invalid_number' }
  const country = parsed.country ?? null
  const enabled = new Set(
    enabledCountries.map((code) => (code.toUpperCase() === 'UK' ? 'GB' : code.toUpperCase())),
  )
  return country !== null && enabled.has(country)
    ? { ok: true, country }
    : { ok: false, reason: 'country_not_enabled', country }
}
