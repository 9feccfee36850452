import type { Generated } from 'kysely'
import type { Timestamp } from '../../db/schema.ts'

/** The type the first value of an attribute fixed. */
export type AttributeType = 'BOOLEAN' | 'NUMBER' | 'DATE' | 'STRING'

export interface CustomAttributeDefinitionsTable {
  id: Generated<number>
  company_id: number
  name: string
  type: AttributeType
  created_at: Timestamp
}

export interface UserAttributesTable {
  company_id: number
  user_id: number
  name: string
  value: string
  fits_type: boolean
  updated_at: Timestamp
}

/** The custom attribute tables, for src/db/schema.ts. */
export interface AttributeTables {
  custom_attribute_definitions: CustomAttributeDefinitionsTable
  user_attributes: UserAttributesTable
}
