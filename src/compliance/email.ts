/** What `normaliseEmail` answers: the address as given (trimmed) and its matching key, or why it is refused. */
export type EmailResult = { ok: true; email: string; key: string } | { ok: false; reason: string }

// One @, a local part without spaces, a dotted domain of letters, digits and hyphens (labels ≤ 63): the HTML
// `type=email` rule's spirit rather than RFC 5322, which is too strict before the @ and too lax after it
// (COMPLIANCE.md §5.2). Unicode letters are allowed for internationalised addresses.
const LOCAL = /^[^\s@"(),:;<>[\\\]]{1,64}$/u
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u

/**
 * Trims an email address and checks its form. The address is stored as given; `key` (lower-cased) is what
 * identity matching compares, because the domain is case-insensitive and almost every mailbox provider treats
 * the local part so too. Provider aliases (Gmail dots, `+tags`) are left alone: they are not the same address
 * everywhere. Pure: no I/O.
 */
export function normaliseEmail(input: string, maxLength = 254): EmailResult {
  const email = input.trim()
  if (email === '') return { ok: false, reason: 'is empty' }
  if (email.length > maxLength) return { ok: false, reason: `is longer than ${maxLength} characters` }
  const at = email.lastIndexOf('@')
  if (at <= 0 || email.indexOf('@') !== at)
    return { ok: false, reason: 'must contain exactly one @ with text before it' }
  const local = email.slice(0, at)
  const domain = email.slice(at + 1)
  if (!LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return { ok: false, reason: 'has a malformed part before the @' }
  }
  const labels = domain.split('.')
  if (labels.length < 2 || domain.length > 253 || !labels.every((label) => LABEL.test(label))) {
    return { ok: false, reason: 'must have a dotted domain such as example.com after the @' }
  }
  return { ok: true, email, key: email.toLowerCase() }
}

/** The message of the 400 for a refused email: names the field and shows the expected form. */
export function emailErrorMessage(field: string, input: string, reason: string): string {
  return `${field}: '${input}' ${reason}; expected an address such as name@example.com`
}
