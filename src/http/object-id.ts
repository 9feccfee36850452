/**
 * Attentive's object ids: base64url without padding of "<2-digit length of type name>:<TypeName><n>", so
 * company 2 is `MDc6Q29tcGFueTI` ("07:Company2"). Integrators store these; the same scheme keeps them opaque.
 */
export function encodeObjectId(typeName: string, id: number): string {
  const length = String(typeName.length).padStart(2, '0')
  return Buffer.from(`${length}:${typeName}${id}`).toString('base64url')
}

/** The numeric id inside an object id of `typeName`, or undefined when it is not one. */
export function decodeObjectId(typeName: string, encoded: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(encoded)) return undefined
  const text = Buffer.from(encoded, 'base64url').toString('utf8')
  const prefix = `${String(typeName.length).padStart(2, '0')}:${typeName}`
  if (!text.startsWith(prefix)) return undefined
  const digits = text.slice(prefix.length)
  if (!/^[1-9]\d{0,15}$/.test(digits)) return undefined
  const id = Number(digits)
  return Number.isSafeInteger(id) && encodeObjectId(typeName, id) === encoded ? id : undefined
}
