import type { App } from './app.ts'
import type { Deps } from './deps.ts'
import { attributeRoutes } from './features/attributes/attributes.routes.ts'
import { companyRoutes } from './features/companies/companies.routes.ts'
import { identityRoutes } from './features/identity/identity.routes.ts'
import { eventRoutes } from './features/events/events.routes.ts'
import { conversationRoutes } from './features/messages/conversation.routes.ts'
import { inboundRoutes } from './features/messages/inbound.routes.ts'
import { legacyMessageRoutes } from './features/messages/legacy.routes.ts'
import { messageRoutes } from './features/messages/messages.routes.ts'
import { meRoutes } from './features/me/me.routes.ts'
import { opsRoutes } from './features/ops/ops.routes.ts'
import { signUpSourceRoutes } from './features/sign-up-sources/sign-up-sources.routes.ts'
import { legacySubscriberRoutes } from './features/subscriptions/legacy.routes.ts'
import { subscriptionRoutes } from './features/subscriptions/subscriptions.routes.ts'
import { userRoutes } from './features/users/users.routes.ts'
import { webhookRoutes } from './features/webhooks/webhooks.routes.ts'
import { registerIdempotency } from './http/idempotency.ts'

/**
 * The route map: every feature plugin and its prefix, on one screen. Each route states its auth, scope and
 * rate-limit family in `config` (http/auth.ts); the OpenAPI document is generated from the same schemas.
 */
export async function registerRoutes(app: App, deps: Deps): Promise<void> {
  registerIdempotency(app, deps) // before every route: the Idempotency-Key header of key-authenticated writes
  await app.register(opsRoutes, { deps })
  await app.register(companyRoutes, { prefix: '/admin/v1', deps })
  await app.register(meRoutes, { deps })
  await app.register(signUpSourceRoutes, { deps })
  await app.register(subscriptionRoutes, { deps })
  await app.register(legacySubscriberRoutes, { deps })
  await app.register(attributeRoutes, { deps })
  await app.register(identityRoutes, { deps })
  await app.register(userRoutes, { deps })
  await app.register(webhookRoutes, { deps })
  await app.register(eventRoutes, { deps })
  await app.register(messageRoutes, { deps })
  await app.register(legacyMessageRoutes, { deps })
  await app.register(inboundRoutes, { deps })
  await app.register(conversationRoutes, { deps })
}
