import { randomBytes } from 'node:crypto'

/** What a send asks of link shortening: the public base URL the short links live under (ATTUNE_PUBLIC_URL). */
export interface ShortLinkRequest {
  baseUrl: string
}

/** A link taken out of a body: its code (the path after /s/) and the URL it stands for. */
export interface ShortLink {
  code: string
  url: string
}

// http(s) URLs up to whitespace or a quote/bracket; punctuation that ends a sentence is not part of the link.
const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/gi
const TRAILING = /[.,!?;:)\]}'"]+$/
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** Characters of a code: 62^10 ≈ 8·10^17, so random codes do not collide in practice (Twilio uses 10 too). */
export const CODE_LENGTH = 10

/** A random code of CODE_LENGTH base-62 characters. */
export function newLinkCode(): string {
  const bytes = randomBytes(CODE_LENGTH * 2)
  let code = ''
  // Rejection sampling: 248 is the largest multiple of 62 under 256, so every character is equally likely.
  for (const byte of bytes) {
    if (byte >= 248) continue
    code += ALPHABET[byte % 62]
    if (code.length === CODE_LENGTH) return code
  }
  return code + newLinkCode().slice(code.length)
}

/**
 * Replaces every http(s) link of `body` with `<baseUrl>/s/<code>` (one code per occurrence, so each click is
 * attributed to this message) and returns the new body and the links to store. Links already on the short-link
 * base are left alone. Carriers filter public shorteners; a link on the brand's own Attune domain is what
 * COMPLIANCE.md §1.10 asks for.
 */
export function shortenLinks(body: string, request: ShortLinkRequest): { body: string; links: ShortLink[] } {
  const base = `${request.baseUrl.replace(/\/+$/, '')}/s/`
  const links: ShortLink[] = []
  const shortened = body.replace(URL_PATTERN, (match) => {
    const trailing = TRAILING.exec(match)?.[0] ?? ''
    const url = match.slice(0, match.length - trailing.length)
    if (url.startsWith(base) || url.length === 0) return match
    const code = newLinkCode()
    links.push({ code, url })
    return `${base}${code}${trailing}`
  })
  return { body: shortened, links }
}
