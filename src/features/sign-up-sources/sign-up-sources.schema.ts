import type { Timestamp } from '../../db/schema.ts'
import type { Channel, ConsentType } from '../subscriptions/consents.schema.ts'

export interface SignUpSourcesTable {
  company_id: number
  id: string
  name: string
  channels: Channel[]
  type: ConsentType
  locale_language: string | null
  locale_country: string | null
  double_opt_in: boolean
  opt_in_request_text: string
  welcome_text: string
  disclosure_version: number
  created_at: Timestamp
  updated_at: Timestamp
}

export interface SignUpSourceDisclosuresTable {
  company_id: number
  source_id: string
  version: number
  text: string
  created_at: Timestamp
}

/** The sign-up source tables, for src/db/schema.ts. */
export interface SignUpSourceTables {
  sign_up_sources: SignUpSourcesTable
  sign_up_source_disclosures: SignUpSourceDisclosuresTable
}
