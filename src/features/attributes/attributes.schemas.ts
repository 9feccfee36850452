import Type, { type Static } from 'typebox'
import { EventUserSchema } from '../users/identifiers.ts'

export const SetAttributesBodySchema = Type.Object({
  properties: Type.Record(Type.String(), Type.Unknown(), {
    maxProperties: 1000,
    description: 'a flat object of attribute names and values',
  }),
  user: EventUserSchema,
})
export type SetAttributesBody = Static<typeof SetAttributesBodySchema>

export const AttributesQuerySchema = Type.Object({
  phone: Type.Optional(Type.String({ maxLength: 64 })),
  email: Type.Optional(Type.String({ maxLength: 254 })),
})

export const AttributeListSchema = Type.Array(Type.Object({ name: Type.String(), value: Type.String() }))
