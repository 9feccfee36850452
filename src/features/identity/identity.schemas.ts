import Type, { type Static } from 'typebox'
import { CustomIdentifiersSchema, ExternalIdSchema } from '../users/identifiers.ts'

/** Attentive's IdentifyRequestDto: every identifier optional, each at most 100 characters. */
export const IdentifyBodySchema = Type.Object({
  phone: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  email: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  shopifyId: Type.Optional(ExternalIdSchema),
  klaviyoId: Type.Optional(ExternalIdSchema),
  clientUserId: Type.Optional(ExternalIdSchema),
  customIdentifiers: Type.Optional(CustomIdentifiersSchema),
})
export type IdentifyBody = Static<typeof IdentifyBodySchema>
