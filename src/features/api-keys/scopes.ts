/**
 * Attentive's scope names (ATTENTIVE_API.md §1.2). `X:write` grants `X:read`, `X:all` grants both, and names
 * are case-insensitive, so `segments:Write` is valid.
 */
export const SCOPE_RESOURCES = [
  'attributes',
  'subscriptions',
  'events',
  'ecommerce',
  'identity',
  'offers',
  'webhooks',
  'product_catalogs',
  'privacy_requests',
  'segments',
  'messages',
] as const

export type ScopeResource = (typeof SCOPE_RESOURCES)[number]
export type ScopeAccess = 'read' | 'write'
/** A scope a route requires, e.g. `subscriptions:write`. */
export type RequiredScope = `${ScopeResource}:${ScopeAccess}`

/** Every resource with `:all`: what the Demo key and a company's first key carry. */
export const FULL_ACCESS: string[] = SCOPE_RESOURCES.map((resource) => `${resource}:all`)

/** The canonical (lower-case) form of `scope`, or undefined if it names no resource or access. */
export function normaliseScope(scope: string): string | undefined {
  const [resource, access, ...rest] = scope.trim().toLowerCase().split(':')
  if (rest.length > 0 || !resource || !access) return undefined
  if (!(SCOPE_RESOURCES as readonly string[]).includes(resource)) return undefined
  if (access !== 'read' && access !== 'write' && access !== 'all') return undefined
  return `${resource}:${access}`
}

/** Whether a key holding `held` (canonical scopes) may use a route that requires `needed`. */
export function grants(held: readonly string[], needed: RequiredScope): boolean {
  const [resource, access] = needed.split(':') as [ScopeResource, ScopeAccess]
  return held.some(
    (scope) =>
      scope === `${resource}:all` || scope === `${resource}:write` || (access === 'read' && scope === `${resource}:read`),
  )
}
