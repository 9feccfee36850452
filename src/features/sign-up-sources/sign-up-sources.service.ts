import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { AppError } from '../../http/errors.ts'
import { parseTemplate } from '../messages/templates.ts'
import type { CreateSignUpSource, UpdateSignUpSource } from './sign-up-sources.schemas.ts'
import {
  findSignUpSource,
  insertDisclosure,
  nextSignUpSourceId,
  type SignUpSourceRow,
} from './sign-up-sources.queries.ts'

/** The "Reply Y" prompt when a source names none (COMPLIANCE.md §1.4: brand, program, rates, HELP and STOP). */
export const DEFAULT_OPT_IN_REQUEST_TEXT =
  '{{ company.name }}: Reply Y to confirm you want recurring automated marketing texts. Consent is not a condition ' +
  'of purchase. Msg & data rates may apply. Reply HELP for help, STOP to cancel.'
/** The welcome text when a source names none (COMPLIANCE.md §1.3). */
export const DEFAULT_WELCOME_TEXT =
  "{{ company.name }}: You're in! Msg frequency varies. Msg & data rates may apply. Reply HELP for help, STOP to cancel."

function requireDisclosure(type: string, disclosure: string | undefined, field: string): void {
  // A marketing opt-in needs the legal disclosure the person saw (ATTENTIVE_API.md §2.2, COMPLIANCE.md §1.2).
  if (type === 'MARKETING' && (disclosure === undefined || disclosure.trim() === '')) {
    throw new AppError(
      'validation_failed',
      `${field}: a MARKETING source needs the disclosure shown at sign-up, e.g. "By signing up you agree to receive recurring automated marketing texts … Consent is not a condition of purchase. Msg & data rates may apply. Reply STOP to cancel."`,
      { field, details: [{ field, message: 'is required for a MARKETING source' }] },
    )
  }
}

/** Refuses a source whose texts are not valid Liquid when it is saved, so no prompt or welcome fails at send time. */
function checkTemplates(texts: { optInRequestText?: string | undefined; welcomeText?: string | undefined }): void {
  if (texts.optInRequestText !== undefined) parseTemplate(texts.optInRequestText, 'optInRequestText')
  if (texts.welcomeText !== undefined) parseTemplate(texts.welcomeText, 'welcomeText')
}

/** Creates a sign-up source with version 1 of its disclosure; the id is the caller's or a generated number. */
export async function createSignUpSource(
  tx: Transaction<Database>,
  companyId: number,
  input: CreateSignUpSource,
  now: Date,
): Promise<SignUpSourceRow> {
  requireDisclosure(input.type, input.disclosure, 'disclosure')
  checkTemplates(input)
  const generated = await nextSignUpSourceId(tx, companyId)
  const id = input.id ?? generated
  if (input.id !== undefined && (await findSignUpSource(tx, companyId, input.id))) {
    throw new AppError(
      'sign_up_source_exists',
      `id: this company already has a sign-up source '${input.id}'; choose another id or PATCH it`,
      {
        field: 'id',
      },
    )
  }
  await tx
    .insertInto('sign_up_sources')
    .values({
      company_id: companyId,
      id,
      name: input.name,
      channels: input.channels,
      type: input.type,
      locale_language: input.locale?.language ?? null,
      locale_country: input.locale?.country ?? null,
      double_opt_in: input.doubleOptIn ?? true,
      opt_in_request_text: input.optInRequestText ?? DEFAULT_OPT_IN_REQUEST_TEXT,
      welcome_text: input.welcomeText ?? DEFAULT_WELCOME_TEXT,
      disclosure_version: 1,
      created_at: now,
      updated_at: now,
    })
    .execute()
  await insertDisclosure(tx, companyId, id, 1, input.disclosure ?? '', now)
  return (await findSignUpSource(tx, companyId, id)) as SignUpSourceRow
}

/** Changes a source; a changed disclosure becomes a new version, and earlier versions stay as they were. */
export async function updateSignUpSource(
  tx: Transaction<Database>,
  companyId: number,
  id: string,
  change: UpdateSignUpSource,
  now: Date,
): Promise<SignUpSourceRow> {
  checkTemplates(change)
  const current = await findSignUpSource(tx, companyId, id)
  if (!current)
    throw new AppError('sign_up_source_not_found', `id: no sign-up source '${id}' in this company`, {
      field: 'id',
    })
  const type = change.type ?? current.type
  const disclosure = change.disclosure ?? current.disclosure
  requireDisclosure(type, disclosure, 'disclosure')
  let version = current.disclosure_version
  if (disclosure !== current.disclosure) {
    version += 1
    await insertDisclosure(tx, companyId, id, version, disclosure, now)
  }
  await tx
    .updateTable('sign_up_sources')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.channels !== undefined ? { channels: change.channels } : {}),
      ...(change.type !== undefined ? { type: change.type } : {}),
      ...(change.locale !== undefined
        ? { locale_language: change.locale?.language ?? null, locale_country: change.locale?.country ?? null }
        : {}),
      ...(change.doubleOptIn !== undefined ? { double_opt_in: change.doubleOptIn } : {}),
      ...(change.optInRequestText !== undefined ? { opt_in_request_text: change.optInRequestText } : {}),
      ...(change.welcomeText !== undefined ? { welcome_text: change.welcomeText } : {}),
      disclosure_version: version,
      updated_at: now,
    })
    .where('company_id', '=', companyId)
    .where('id', '=', id)
    .execute()
  return (await findSignUpSource(tx, companyId, id)) as SignUpSourceRow
}
