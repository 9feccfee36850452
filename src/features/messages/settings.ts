import { DEFAULT_SMS_COUNTRIES } from '../../compliance/countries.ts'
import { SMART_SENDING_DEFAULT } from '../../compliance/fatigue.ts'
import type { CompanySettings } from '../../db/schema.ts'
import type { CapSetting } from './dispatch-gate.ts'

/** The zone of a recipient whose own is unknown, when the company has not set `timeZone`. */
export const DEFAULT_COMPANY_ZONE = 'America/New_York'

/** Longest text the send APIs accept when the company has not set `maxSegments`: Twilio's 10 segments (1,600 chars). */
export const DEFAULT_MAX_SEGMENTS = 10

/** A company's messaging settings with their defaults applied. */
export interface MessagingSettings {
  countries: readonly string[]
  timeZone: string
  cap: CapSetting
  maxSegments: number
}

/** Reads a company's messaging settings (CompanySettings in src/db/schema.ts), applying each default. */
export function messagingSettings(settings: CompanySettings | null | undefined): MessagingSettings {
  const cap = settings?.frequencyCap
  return {
    countries: settings?.smsCountries ?? DEFAULT_SMS_COUNTRIES,
    timeZone: settings?.timeZone ?? DEFAULT_COMPANY_ZONE,
    cap:
      cap === false
        ? false
        : cap
          ? { limit: cap.limit, windowMs: cap.windowHours * 3_600_000 }
          : { limit: SMART_SENDING_DEFAULT.limit, windowMs: SMART_SENDING_DEFAULT.windowMs },
    maxSegments: settings?.maxSegments ?? DEFAULT_MAX_SEGMENTS,
  }
}
