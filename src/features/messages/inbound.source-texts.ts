import type { Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { findSignUpSource } from '../sign-up-sources/sign-up-sources.queries.ts'
import {
  DEFAULT_OPT_IN_REQUEST_TEXT,
  DEFAULT_WELCOME_TEXT,
} from '../sign-up-sources/sign-up-sources.service.ts'
import type { ConsentType } from '../subscriptions/consents.schema.ts'
import { templateScope } from './template-scope.ts'
import { renderTemplate } from './templates.ts'

/** A sign-up source's text rendered for one person, with the source's consent type. */
export interface RenderedSourceText {
  body: string
  type: ConsentType
}

const DEFAULTS = { opt_in_request_text: DEFAULT_OPT_IN_REQUEST_TEXT, welcome_text: DEFAULT_WELCOME_TEXT }

/**
 * Renders a sign-up source's "Reply Y" prompt or welcome (Liquid) for the person at `phone`, with the variables
 * every message template sees (template-scope.ts) plus `{{ source.name }}`. Undefined when the company has no
 * such source. A text that fails to render falls back to the built-in one: these texts ride on a consent change
 * (a "Y", a START) that must not be lost over a template, and the built-in text carries every required element.
 */
export async function renderSourceText(
  tx: Transaction<Database>,
  companyId: number,
  sourceId: string,
  text: 'opt_in_request_text' | 'welcome_text',
  person: { userId: number; phone: string },
): Promise<RenderedSourceText | undefined> {
  const source = await findSignUpSource(tx, companyId, sourceId)
  if (!source) return undefined
  const company = await tx
    .selectFrom('companies')
    .select(['id', 'name'])
    .where('id', '=', companyId)
    .executeTakeFirstOrThrow()
  const scope = {
    ...(await templateScope(tx, company, person.userId, person.phone)),
    source: { name: source.name },
  }
  const field = text === 'welcome_text' ? 'welcomeText' : 'optInRequestText'
  const body = await renderTemplate(source[text], scope, field).catch(() =>
    renderTemplate(DEFAULTS[text], scope, field),
  )
  return { body: body.trim(), type: source.type }
}
