// The keyword matrix of COMPLIANCE.md §4.7.1, end to end: every row is a text sent through the sandbox carrier
// (POST /v1/sandbox/inbound) by a number in a given consent state, and asserts what the real app did: how it read
// the text, the TEXT consents afterwards, and every reply queued to the number (text and count). Each row has a
// number of its own on one database, so rows cannot disturb each other and the whole table runs in seconds.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { helpReply, optOutConfirmation } from '../src/compliance/keywords.ts'
import { buildTestApp } from './helpers/build-test-app.ts'
import { createCompany } from './helpers/company.ts'
import {
  companyNumber,
  createTextSource,
  liftRateLimits,
  queuedTo,
  signUpPhone,
  textConsents,
  textIn,
} from './helpers/inbound.ts'

type Intent = 'opt_out' | 'help' | 'opt_in' | 'confirm' | 'none'
/** Where the number stands before the row's text: unknown, waiting for "Y", subscribed, or opted out (by STOP). */
type Start = 'none' | 'pending' | 'subscribed' | 'unsubscribed'
const STARTS: Start[] = ['subscribed', 'pending', 'none', 'unsubscribed']

const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))
const title = (s: string) => s[0]!.toUpperCase() + s.slice(1).toLowerCase()
const DECORATIONS: Array<(keyword: string) => string> = [
  (k) => k.toUpperCase(),
  (k) => k.toLowerCase(),
  (k) => `${title(k)}!`,
  (k) => `  ${k.toUpperCase()}. `,
  (k) => `${k.toLowerCase()} 🛑🙏`,
  (k) => `"${k.toUpperCase()}"`,
  (k) => fullWidth(k.toUpperCase()),
  (k) => `${title(k)}?!`,
]

const rows: Array<[text: string, intent: Intent, start: Start]> = []
/** Each keyword in `count` decorations, the start state rotating so every keyword meets several states. */
function decorated(keywords: string[], intent: Intent, count: number, starts: Start[] = STARTS): void {
  keywords.forEach((keyword, k) => {
    for (let d = 0; d < count; d++) {
      const decorate = DECORATIONS[(k + d) % DECORATIONS.length]!
      rows.push([decorate(keyword), intent, starts[(k + d) % starts.length]!])
    }
  })
}
// every opt-out keyword of COMPLIANCE.md §1.5 (FCC, Twilio, Telnyx, AWS)
decorated(
  [
    'stop',
    'stopall',
    'unsubscribe',
    'cancel',
    'end',
    'quit',
    'revoke',
    'optout',
    'opt out',
    'stop all',
    'opt-out',
    'remove',
    'arret',
    'td',
    'unsub',
  ],
  'opt_out',
  5,
)
decorated(['help', 'info', 'aide'], 'help', 4)
decorated(['start', 'unstop'], 'opt_in', 8)
decorated(['yes', 'y'], 'confirm', 8)

const each = (texts: string[], intent: Intent) =>
  texts.forEach((text, i) => rows.push([text, intent, STARTS[i % STARTS.length]!]))
// keyword as the first word, after politeness, or in capitals inside mixed case
each(
  [
    'STOP please',
    'Stop sending me these',
    'Cancel my order',
    'End this now',
    'Quit texting',
    'Unsubscribe me please',
    'Remove me',
    'Opt out of everything',
    'Revoke my consent',
    'Stop, who is this?',
    'STOP STOP STOP',
    'please stop',
    'ok stop',
    'hi, remove me',
    'Who is this? STOP',
    'Thanks but please STOP',
    'I said stop',
    'Stop by later',
    'S.T.O.P',
    '🛑',
  ],
  'opt_out',
)
// clear opt-out intent in other words
each(
  [
    'please stop texting me',
    'Can you stop texting me',
    'I want to stop receiving these',
    'Please remove me from your list',
    'take me off your list',
    'no more texts',
    'No more!',
    "don't text me",
    'Do not text me again',
    'Not interested',
    'Wrong number',
    "I didn't sign up for this",
    'leave me alone',
    'I quit',
    'I want to cancel my subscription',
    "Why won't you stop texting me",
    'How do I unsubscribe?',
    'opt me out',
    'stop the spam',
    'Make it stop',
  ],
  'opt_out',
)
// negatives: negated keywords, keywords inside ordinary words, ordinary conversation
each(
  [
    "don't stop",
    'Don’t stop!',
    "can't stop laughing",
    'I CAN’T STOP LAUGHING',
    "I don't want to unsubscribe",
    "don't remove me",
    'I want to stop by the store',
    'Stopping by later',
    'When does the sale end?',
    'Can I cancel my order?',
    'Remove the item from my cart',
    "I'll stop by tomorrow",
    'You guys never stop sending deals, love it',
    'Backstop',
    'This is Christopher',
    'Where is my order?',
    'Thanks!',
    'No',
    'Yes I want to join',
    'Yeah',
    'Start over',
    'I need help',
    '😂😂',
    '12345',
    '',
  ],
  'none',
)
each(['help me understand this offer', 'Info about my order', 'please help', 'h.e.l.p'], 'help')
each(['START please', 'Un-stop', 'unstop.', 'START'], 'opt_in')
each(['Yes please', 'ok yes', 'Yes, thank you', 'yes 👍'], 'confirm')

const COMPANY = 'Acme'
const STOPPED = optOutConfirmation(COMPANY)
const HELP = helpReply(COMPANY)
const WELCOME = {
  doi: `${COMPANY}: welcome to the VIP texts!`,
  single: `${COMPANY}: welcome back to our texts!`,
}

const BEFORE: Record<Start, string[]> = {
  none: [],
  pending: ['MARKETING=PENDING'],
  subscribed: ['MARKETING=SUBSCRIBED'],
  unsubscribed: ['MARKETING=UNSUBSCRIBED', 'TRANSACTIONAL=UNSUBSCRIBED'],
}

/**
 * What COMPLIANCE.md §1.5-1.6 asks for: the action, the consents after, and the replies. Opt-out words end both
 * types (revoke-all) from every state with one confirmation, none for a repeat within 24 h; HELP answers and
 * changes nothing; Y/YES/START/UNSTOP confirm a pending opt-in or bring back what a STOP ended, with the source's
 * welcome, and are ordinary words to anyone else.
 */
function expected(intent: Intent, start: Start): { action: string; consents: string[]; replies: string[] } {
  const unchanged = { action: 'conversation', consents: BEFORE[start], replies: [] as string[] }
  switch (intent) {
    case 'opt_out':
      return {
        action: 'opt_out',
        consents: BEFORE.unsubscribed,
        replies: start === 'unsubscribed' ? [] : [`opt_out_confirmation: ${STOPPED}`],
      }
    case 'help':
      return { action: 'help', consents: BEFORE[start], replies: [`help: ${HELP}`] }
    case 'opt_in':
    case 'confirm':
      if (start === 'pending')
        return {
          action: 'confirm_double_opt_in',
          consents: ['MARKETING=SUBSCRIBED'],
          replies: [`welcome: ${WELCOME.doi}`],
        }
      if (start === 'unsubscribed') {
        return {
          action: 'resubscribe',
          consents: ['MARKETING=SUBSCRIBED', 'TRANSACTIONAL=UNSUBSCRIBED'],
          replies: [`welcome: ${WELCOME.single}`],
        }
      }
      return unchanged
    case 'none':
      return unchanged
  }
}

/** Runs `task(0..count-1)` with at most `width` at once. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: width }, lane))
}

test(`keyword matrix: ${rows.length} texts × consent states through the sandbox carrier`, async (t) => {
  assert.ok(rows.length >= 150, `the matrix has ${rows.length} rows`)
  const { app, database } = await buildTestApp(t)
  const company = await createCompany(app, COMPANY)
  const companyId = companyNumber(company)
  await liftRateLimits(app, company)
  await createTextSource(app, company, {
    id: 'doi',
    welcomeText: '{{ company.name }}: welcome to the VIP texts!',
  })
  await createTextSource(app, company, {
    id: 'single',
    doubleOptIn: false,
    welcomeText: '{{ company.name }}: welcome back to our texts!',
  })
  const phoneOf = (i: number) => `+1770765${String(1000 + i).padStart(4, '0')}`

  // Rows run eight at a time: each has its own number, so they share nothing but the company.
  const failures: string[] = []
  await inParallel(rows.length, 8, async (i) => {
    const [text, intent, start] = rows[i]!
    const phone = phoneOf(i)
    if (start === 'pending') await signUpPhone(app, company, phone, 'doi')
    if (start === 'subscribed' || start === 'unsubscribed') await signUpPhone(app, company, phone, 'single')
    if (start === 'unsubscribed') await textIn(app, company, phone, 'STOP')
    const earlier = await queuedTo(database.db, companyId, phone)

    const want = expected(intent, start)
    const answer = await textIn(app, company, phone, text)
    const got = {
      intent: answer.intent,
      action: answer.action,
      consents: await textConsents(database.db, companyId, phone),
      replies: (await queuedTo(database.db, companyId, phone)).slice(earlier.length),
    }
    try {
      assert.deepEqual(got, { intent, ...want })
      assert.deepEqual(
        answer.replies.map((r) => `${r.kind === 'resubscribe_confirmation' ? 'welcome' : r.kind}: ${r.body}`),
        want.replies,
      )
    } catch {
      failures.push(
        `${JSON.stringify(text)} from ${start}: expected ${JSON.stringify({ intent, ...want })}, got ${JSON.stringify(got)}`,
      )
    }
  })
  assert.deepEqual(failures, [], `${failures.length} of ${rows.length} rows failed:\n${failures.join('\n')}`)
})
