import { Liquid, type Template } from 'liquidjs'
import { AppError } from '../../http/errors.ts'

// Message bodies are Liquid, the dialect Shopify, Klaviyo and Braze users already write. Choices:
// - strictFilters: an unknown filter ({{ name | upcse }}) is an error when the template is saved or sent through
//   the API, never a silent pass-through at dispatch;
// - strictVariables off: a person without a first name gets "" (write {{ profile.firstName | default: "there" }}),
//   because refusing a whole send over one missing profile field is worse for a brand than an empty field;
// - no file system: `templates: {}` makes include/render/layout look up an empty in-memory set, so a template
//   cannot read files of the server;
// - ownPropertyOnly and the parse/render/memory limits keep a template from reaching prototypes or running away.
const engine = new Liquid({
  strictFilters: true,
  strictVariables: false,
  ownPropertyOnly: true,
  templates: {},
  parseLimit: 100_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
})

// Parsed templates by source: a campaign renders one template for every recipient.
const parsed = new Map<string, Template[]>()
const CACHE_LIMIT = 1_000

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return (
    message
      .split('\n')[0]
      ?.replace(/, file:.*$/, '')
      .slice(0, 300) ?? 'is not valid Liquid'
  )
}

/**
 * Parses a Liquid template, or throws a 400 `invalid_template` naming `field`, what is wrong and the expected
 * form. Call it wherever a template is saved or arrives through the API, so no send fails at dispatch.
 */
export function parseTemplate(source: string, field: string): Template[] {
  const cached = parsed.get(source)
  if (cached) return cached
  let templates: Template[]
  try {
    templates = engine.parse(source)
  } catch (error) {
    throw new AppError(
      'invalid_template',
      `${field}: is not a valid Liquid template (${describe(error)}); expected text with {{ variables }} and standard Liquid filters and tags, e.g. "Hi {{ profile.firstName | default: 'there' }}"`,
      { field },
    )
  }
  if (parsed.size >= CACHE_LIMIT) parsed.clear()
  parsed.set(source, templates)
  return templates
}

/** Renders a template (parsed with parseTemplate) against `scope`; a render error is a 400 naming `field`. */
export async function renderTemplate(
  source: string,
  scope: Record<string, unknown>,
  field: string,
): Promise<string> {
  const templates = parseTemplate(source, field)
  try {
    return (await engine.render(templates, scope)) as string
  } catch (error) {
    throw new AppError(
      'invalid_template',
      `${field}: the Liquid template failed to render (${describe(error)})`,
      { field },
    )
  }
}

/** Whether a text contains Liquid markup at all (plain text skips rendering). */
export function hasLiquid(text: string): boolean {
  return text.includes('{{') || text.includes('{%')
}
