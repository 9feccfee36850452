/** How a body travels as SMS: its encoding, the parts a carrier bills, and the units (septets or UTF-16 units). */
export type SmsEncoding = { encoding: 'GSM-7' | 'UCS-2'; segments: number; units: number }

// The GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1) in table order, 0x1B (escape) left out. 0x09 is printed
// as capital Ç in the 3GPP table; Unicode's GSM0338 mapping reads it as small ç. We follow the 3GPP table and
// the widely used Twilio calculator: Ç is GSM-7, ç forces UCS-2 (COMPLIANCE.md §3.1, §6).
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
// The extension table: each is sent as ESC + code, so it costs two septets (COMPLIANCE.md §3.1).
const EXTENSION = '\f^{}\\[~]|€'

const BASIC_SET = new Set(BASIC)
const EXTENSION_SET = new Set(EXTENSION)

// Payload sizes (COMPLIANCE.md §3.2): a single message carries 160 septets or 70 UTF-16 units; once concatenated
// the 6-byte user data header leaves 153 or 67 per part.
const GSM_SINGLE = 160
const GSM_PART = 153
const UCS2_SINGLE = 70
const UCS2_PART = 67

/** Septets one character costs in GSM-7 (1 or 2), or 0 when it is not in GSM 03.38 at all. */
export function gsmSeptets(char: string): 0 | 1 | 2 {
  if (BASIC_SET.has(char)) return 1
  if (EXTENSION_SET.has(char)) return 2
  return 0
}

// Packs characters of the given costs into parts of `size` units, never splitting one character (an ESC pair
// or a surrogate pair stays whole: 3GPP TS 23.040 §9.2.3.24.1), and returns the number of parts.
function countParts(costs: number[], size: number): number {
  let parts = 1
  let used = 0
  for (const cost of costs) {
    if (used + cost > size) {
      parts += 1
      used = 0
    }
    used += cost
  }
  return parts
}

/**
 * Chooses GSM-7 when every character is in GSM 03.38 (basic or extension table), else UCS-2 for the whole body,
 * and counts the parts a carrier sends: 160/153 septets or 70/67 UTF-16 units. An empty body is one (empty) part.
 */
export function encodeSms(body: string): SmsEncoding {
  const chars = Array.from(body)
  const septets = chars.map(gsmSeptets)
  if (septets.every((cost) => cost > 0)) {
    const units = septets.reduce<number>((sum, cost) => sum + cost, 0)
    return { encoding: 'GSM-7', units, segments: units <= GSM_SINGLE ? 1 : countParts(septets, GSM_PART) }
  }
  // UCS-2 here means UTF-16 as carriers send it: an emoji outside the BMP takes two units (a surrogate pair).
  const costs = chars.map((char) => char.length)
  const units = body.length
  return { encoding: 'UCS-2', units, segments: units <= UCS2_SINGLE ? 1 : countParts(costs, UCS2_PART) }
}

// Look-alikes that editors and phones insert and that silently turn a message into UCS-2 (more than doubling the
// parts). Each maps to the GSM-7 character a reader cannot tell apart (COMPLIANCE.md §3.1 "smart encoding").
const LOOKALIKES: Array<[pattern: RegExp, replacement: string]> = [
  [/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB\uFF02]/g, '"'],
  [/[\u2018\u2019\u201A\u201B\u2032\u00B4\u0060\uFF07]/g, "'"],
  [/[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFF0D]/g, '-'],
  [/\u2026/g, '...'],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, ' '],
  [/[\u200B\u200C\u200D\u2060\uFEFF]/g, ''],
  [/\u2022/g, '-'],
  [/\u2039/g, '<'],
  [/\u203A/g, '>'],
]

/**
 * Replaces typographic look-alikes (curly quotes, dashes, ellipsis, special spaces) with their GSM-7 equivalents
 * and drops zero-width characters. Letters, accents and emoji are never changed. Opt-in per company: the sent
 * text then differs from the stored template.
 */
export function smartEncode(body: string): string {
  let text = body
  for (const [pattern, replacement] of LOOKALIKES) text = text.replace(pattern, replacement)
  return text
}

/** Largest MMS image Attune passes on: "under 500 KB" (seed 002), read as 500,000 bytes, the stricter reading. */
export const MMS_MAX_BYTES = 500_000

/** The image types an MMS may carry (seed 002: gif, png, jpg). */
export const MMS_MEDIA_TYPES = ['image/gif', 'image/png', 'image/jpeg'] as const

/** Why a media file cannot go as MMS: the checks a dispatcher applies to what it fetched from `mediaUrl`. */
export type MediaVerdict =
  | { ok: true; contentType: (typeof MMS_MEDIA_TYPES)[number] }
  | { ok: false; reason: 'unsupported_type' | 'too_large' | 'type_mismatch' | 'empty' }

// File signatures: a server's Content-Type alone is not trusted (a carrier rejects a file whose bytes disagree
// with it, Twilio error 11751), so the first bytes must match the declared type.
const SIGNATURES: Record<(typeof MMS_MEDIA_TYPES)[number], number[][]> = {
  'image/gif': [[0x47, 0x49, 0x46, 0x38]],
  'image/png': [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
}

/**
 * Decides whether fetched media may go as MMS: a declared type of gif, png or jpeg (parameters such as
 * `; charset` ignored, `image/jpg` accepted as jpeg), at most `MMS_MAX_BYTES`, and first bytes matching the type.
 */
export function checkMmsMedia(media: { contentType: string; size: number; head: Uint8Array }): MediaVerdict {
  if (media.size <= 0) return { ok: false, reason: 'empty' }
  const declared = (media.contentType.split(';')[0] ?? '').trim().toLowerCase()
  const type = declared === 'image/jpg' ? 'image/jpeg' : declared
  const known = MMS_MEDIA_TYPES.find((candidate) => candidate === type)
  if (!known) return { ok: false, reason: 'unsupported_type' }
  if (media.size > MMS_MAX_BYTES) return { ok: false, reason: 'too_large' }
  const matches = SIGNATURES[known].some((signature) => signature.every((byte, i) => media.head[i] === byte))
  return matches ? { ok: true, contentType: known } : { ok: false, reason: 'type_mismatch' }
}
