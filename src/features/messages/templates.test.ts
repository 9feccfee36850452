import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AppError } from '../../http/errors.ts'
import { shortenLinks } from './short-links.ts'
import { parseTemplate, renderTemplate } from './templates.ts'

const scope = {
  company: { name: 'Acme' },
  profile: { firstName: 'Ada', phone: '+17707651750' },
  event: { items: [{ name: 'Hat' }, { name: 'Scarf' }] },
}

const rendered: Array<[template: string, text: string]> = [
  ['Hi {{ profile.firstName }}', 'Hi Ada'],
  ['Hi {{ profile.lastName }}!', 'Hi !'],
  ["Hi {{ profile.lastName | default: 'there' }}", 'Hi there'],
  ['{{ company.name | upcase }}', 'ACME'],
  [
    '{% for item in event.items %}{{ item.name }}{% unless forloop.last %}, {% endunless %}{% endfor %}',
    'Hat, Scarf',
  ],
  ['{% if profile.firstName %}VIP{% else %}Guest{% endif %}', 'VIP'],
  ['{{ profile.constructor }}', ''],
  ['No markup at all', 'No markup at all'],
]
for (const [template, text] of rendered) {
  test(`renders ${JSON.stringify(template)} as ${JSON.stringify(text)}`, async () => {
    assert.equal(await renderTemplate(template, scope, 'body'), text)
  })
}

const refused: Array<[template: string, why: RegExp]> = [
  ['Hi {{ profile.firstName | shout }}', /undefined filter: shout/],
  ['{% if profile.vip %}VIP', /not closed/],
  ['{{ profile.firstName', /not closed/],
  ['{% include "secrets" %}', /.+/],
  ['{% nosuchtag %}', /nosuchtag/],
]
for (const [template, why] of refused) {
  test(`refuses ${JSON.stringify(template)} with a 400 naming the field`, async () => {
    const error = await (async () => {
      parseTemplate(template, 'body')
      await renderTemplate(template, scope, 'body')
    })().catch((e: unknown) => e)
    assert.ok(error instanceof AppError, String(error))
    assert.equal(error.code, 'invalid_template')
    assert.equal(error.field, 'body')
    assert.match(error.message, /^body: /)
    assert.match(error.message, why)
  })
}

const links: Array<[body: string, shortened: RegExp, urls: string[]]> = [
  [
    'See https://acme.example/a?b=1.',
    /^See https:\/\/go\.test\/s\/[0-9A-Za-z]{10}\.$/,
    ['https://acme.example/a?b=1'],
  ],
  [
    'Two: http://a.example and (https://b.example/x)!',
    /^Two: https:\/\/go\.test\/s\/\w{10} and \(https:\/\/go\.test\/s\/\w{10}\)!$/,
    ['http://a.example', 'https://b.example/x'],
  ],
  ['No links here', /^No links here$/, []],
  ['Already https://go.test/s/abcdefghij', /^Already https:\/\/go\.test\/s\/abcdefghij$/, []],
]
for (const [body, shortened, urls] of links) {
  test(`shortens the links of ${JSON.stringify(body)}`, () => {
    const result = shortenLinks(body, { baseUrl: 'https://go.test/' })
    assert.match(result.body, shortened)
    assert.deepEqual(
      result.links.map((l) => l.url),
      urls,
    )
  })
}
