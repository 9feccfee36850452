/**
 * What an inbound text asks for. `confirm` is a bare Y/YES, `opt_in` a bare START/UNSTOP: they stay distinct
 * because Y confirms a pending double opt-in while START/UNSTOP (and YES) re-subscribe; `inboundAction` combines
 * the intent with the person's state.
 */
export type InboundIntent = 'opt_out' | 'help' | 'opt_in' | 'confirm' | 'none'

// Per se revocation words (FCC 24-24), carrier defaults (Twilio, Telnyx, AWS incl. REMOVE and the Canadian
// French ARRET) and UNSUB, the common short form: COMPLIANCE.md §1.5. Act when one is the first word.
const OPT_OUT_FIRST = new Set([
  'stop',
  'stopall',
  'unsubscribe',
  'unsub',
  'cancel',
  'end',
  'quit',
  'revoke',
  'optout',
  'arret',
])
// The whole message spelled out with anything between the letters ("S.T.O.P", "Opt-Out", "stop 🙄"). REMOVE and
// TD (AWS) only count alone: as a first word they start ordinary requests ("Remove the item from my cart").
const OPT_OUT_ALONE = new Set([...OPT_OUT_FIRST, 'remove', 'td'])
// Words with no everyday meaning besides leaving a list: they opt out anywhere, unless negated.
const OPT_OUT_ANYWHERE = new Set(['unsubscribe', 'unsub', 'optout', 'stopall', 'revoke'])
// Ordinary words that opt out as the last word ("I said stop", "I quit"), unless negated ("don't stop").
const OPT_OUT_LAST = new Set(['stop', 'quit', ...OPT_OUT_ANYWHERE])
const HELP_WORDS = new Set(['help', 'info', 'aide'])
const OPT_IN_WORDS = new Set(['start', 'unstop'])
const CONFIRM_WORDS = new Set(['y', 'yes'])
// Politeness and interjections skipped before the first-word rule ("Please stop", "ok STOP", "hi, remove me")
// and after the bare-keyword rules ("yes please", "START thanks").
const LEADING_FILLERS = new Set([
  'please',
  'pls',
  'plz',
  'pleas',
  'kindly',
  'ok',
  'okay',
  'just',
  'hi',
  'hey',
  'hello',
  'yo',
  'ugh',
  'omg',
  'oh',
  'seriously',
  'sorry',
  'um',
  'uh',
])
const TRAILING_FILLERS = new Set(['please', 'pls', 'plz', 'thanks', 'thank', 'you', 'thx', 'ty', 'now'])
// A negation up to three words before a keyword cancels it within the same clause: "don't stop", "can't stop
// laughing", "I do not want to unsubscribe". "No" is not one: "No, stop" is an answer followed by STOP.
const NEGATIONS = new Set([
  "don't",
  'dont',
  'not',
  'never',
  "can't",
  'cant',
  'cannot',
  "won't",
  'wont',
  "didn't",
  'didnt',
  "doesn't",
  'doesnt',
  "shouldn't",
  'shouldnt',
  "wouldn't",
  'wouldnt',
  "couldn't",
  'couldnt',
  "isn't",
  "ain't",
  'nor',
])
const NEGATION_WINDOW = 3

const OBJECT =
  '(?:texts?|txts?|messages?|msgs?|sms|spam|marketing|promos?|promotions|ads|alerts|notifications)'
// Clear opt-out wording that carries its own negation: matched as is.
const SELF_NEGATED_PHRASES = [
  /\b(?:don't|dont|do not|never)(?: ever)? (?:text|txt|message|msg|sms|contact|call|email|spam|bother)\w* (?:me|us|this number|my number)\b/,
  new RegExp(`\\bno more (?:${OBJECT}|of (?:this|these|that|them|your \\w+))\\b`),
  /(?:^| )no more$/,
  new RegExp(
    `\\b(?:don't|dont|do not) (?:want|need)(?: (?:any|these|your|more|the|this|those|them|ur))* ${OBJECT}\\b`,
  ),
  /\bnot interested\b/,
  /\bwrong (?:number|person|phone|recipient)\b/,
  /\b(?:didn't|didnt|did not|never) (?:sign(?:ed)? up|subscribe[d]?|opt(?:ed)? in|ask(?:ed)? for (?:this|these|them|it))\b/,
  /\bleave me alone\b/,
]
// Opt-out wording that a negation before it cancels ("don't stop texting me" keeps the subscription).
const NEGATABLE_PHRASES = [
  /\bstop (?:texting|txting|texing|txing|messaging|msging|sending|contacting|spamming|bothering|harassing|calling|emailing|pestering|receiving|getting)\b/,
  new RegExp(`\\bstop (?:[\\w']+ ){0,2}${OBJECT}\\b`),
  /\bstop (?:it|now|already|please|pls|plz|immediately|asap)\b/,
  /\bmake (?:it|them|this) stop\b/,
  /\b(?:remove|delete|drop|erase) (?:me|my (?:number|phone|name|info|contact|cell|details))\b/,
  /\b(?:take|get) (?:me|my (?:number|phone|name|info|cell)) (?:off|out)\b/,
  /\boff (?:your|the|this|ur) (?:\w+ )?lists?\b/,
  new RegExp(
    `\\b(?:cancel|end|stop|quit) (?:(?:my|the|this|your|these|all|ur) )?(?:subscription|sub|membership|${OBJECT})\\b`,
  ),
  /\bopt (?:me )?out\b/,
  /\b(?:said|told (?:you|u)(?: to)?) (?:stop|quit|end|cancel|unsubscribe)\b/,
]

type Token = { word: string; caps: boolean }
type Prepared = { clauses: Token[][]; tokens: Token[]; letters: string; mixedCase: boolean }

// NFKC folds full-width and compatibility forms ("ＳＴＯＰ"); stripping combining marks lets "ARRÊT" match ARRET;
// every apostrophe-like mark becomes ' so "don’t" is "don't". Clauses split at sentence punctuation and commas so
// a negation never reaches across them ("I can't. Stop").
function prepare(text: string): Prepared {
  const folded = text.slice(0, 2000).normalize('NFKC').normalize('NFD').replace(/\p{M}/gu, '')
  const unified = folded.replace(/[\u2018\u2019\u201B\u02BC\u0060\u00B4\u2032]/g, "'")
  const clauses = unified
    .split(/[.!?;:,\n\r\u3002\uFF01\uFF1F]+/)
    .map((clause) =>
      clause
        .split(/[^\p{L}\p{N}']+/u)
        .map((raw) => raw.replace(/^'+|'+$/g, ''))
        .filter((raw) => raw !== '')
        .map((raw) => ({ word: raw.toLowerCase(), caps: /\p{Lu}/u.test(raw) && raw === raw.toUpperCase() })),
    )
    .filter((clause) => clause.length > 0)
  return {
    clauses,
    tokens: clauses.flat(),
    letters: unified.replace(/[^\p{L}]/gu, '').toLowerCase(),
    mixedCase: /\p{Ll}/u.test(unified),
  }
}

// A negation followed by "you" is a complaint, not a wish: "why won't you stop texting me", "can't you stop".
function negated(clause: Token[], index: number): boolean {
  for (let i = Math.max(0, index - NEGATION_WINDOW); i < index; i++) {
    const next = clause[i + 1]?.word
    if (NEGATIONS.has(clause[i]!.word) && next !== 'you' && next !== 'u') return true
  }
  return false
}

function trimFillers(tokens: Token[]): Token[] {
  let start = 0
  let end = tokens.length
  while (start < end && LEADING_FILLERS.has(tokens[start]!.word)) start += 1
  while (end > start && TRAILING_FILLERS.has(tokens[end - 1]!.word)) end -= 1
  return tokens.slice(start, end)
}

// The token index where a regex match starts in a clause joined by single spaces.
function tokenIndexAt(joined: string, offset: number): number {
  return joined.slice(0, offset).split(' ').length - 1
}

function matchesPhrase(words: Token[]): boolean {
  const clause = trimFillers(words)
  const joined = clause.map((token) => token.word).join(' ')
  if (SELF_NEGATED_PHRASES.some((pattern) => pattern.test(joined))) return true
  return NEGATABLE_PHRASES.some((pattern) => {
    const match = pattern.exec(joined)
    return match !== null && !negated(clause, tokenIndexAt(joined, match.index))
  })
}

function isOptOut(input: Prepared): boolean {
  const { clauses, tokens } = input
  const first = trimFillers(tokens)[0]?.word
  const second = trimFillers(tokens)[1]?.word
  if (first !== undefined && (OPT_OUT_FIRST.has(first) || (first === 'opt' && second === 'out'))) return true
  if (clauses.some(matchesPhrase)) return true
  for (const clause of clauses) {
    for (const [i, token] of clause.entries()) {
      if (negated(clause, i)) continue
      if (OPT_OUT_ANYWHERE.has(token.word)) return true
      // A keyword in capitals inside an otherwise mixed-case text is the keyword, not the verb: "Who is this? STOP".
      if (input.mixedCase && token.caps && (OPT_OUT_FIRST.has(token.word) || token.word === 'opt'))
        return true
    }
  }
  const lastWords = clauses.map(trimFillers).findLast((words) => words.length > 0) ?? []
  const last = lastWords.at(-1)
  return last !== undefined && OPT_OUT_LAST.has(last.word) && !negated(lastWords, lastWords.length - 1)
}

/**
 * Classifies an inbound text. Opt-out wins over everything else, because the FCC presumes revocation from any
 * clear wording and a missed STOP costs up to $1,500 a message while a wrong one costs a subscriber:
 * 1. the whole text is a keyword once everything but letters is removed ("S.T.O.P", "Opt-Out!", "ＨＥＬＰ");
 * 2. the first word (after "please", "ok", "hi" …) is an opt-out keyword: "Stop by later" opts out, an
 *    over-trigger COMPLIANCE.md §4.7.1 accepts;
 * 3. clear opt-out wording anywhere ("please stop texting me", "remove me", "take me off your list", "no more
 *    texts", "wrong number"), UNSUBSCRIBE/OPTOUT/REVOKE anywhere, a keyword in capitals inside mixed-case text,
 *    or STOP/QUIT as the last word, each unless a negation precedes it in the same clause ("don't stop",
 *    "can't stop laughing"). A keyword in the middle of ordinary words ("I want to stop by the store") is not one;
 * 4. HELP/INFO/AIDE as the first word asks for help;
 * 5. only a bare START/UNSTOP is `opt_in` and only a bare Y/YES is `confirm` (politeness aside): consent is
 *    given by clear affirmative words, never inferred from free text.
 */
export function classifyInbound(text: string): InboundIntent {
  const input = prepare(text)
  if (input.letters === '') return text.includes('\u{1F6D1}') ? 'opt_out' : 'none'
  if (OPT_OUT_ALONE.has(input.letters)) return 'opt_out'
  if (HELP_WORDS.has(input.letters)) return 'help'
  if (OPT_IN_WORDS.has(input.letters)) return 'opt_in'
  if (CONFIRM_WORDS.has(input.letters)) return 'confirm'
  if (isOptOut(input)) return 'opt_out'
  const core = trimFillers(input.tokens)
  if (core[0] && HELP_WORDS.has(core[0].word)) return 'help'
  const bare = core.map((token) => token.word).join(' ')
  if (OPT_IN_WORDS.has(bare)) return 'opt_in'
  if (CONFIRM_WORDS.has(bare)) return 'confirm'
  return 'none'
}

/** Where the person stands with this company on this channel when the text arrives. */
export type ConsentState = 'none' | 'pending_double_opt_in' | 'subscribed' | 'unsubscribed'

/** What the inbound handler does: end consent, answer HELP, confirm a double opt-in, re-subscribe, or just store. */
export type InboundAction = 'opt_out' | 'help' | 'confirm_double_opt_in' | 'resubscribe' | 'conversation'

/**
 * Combines an intent with the person's state. STOP and HELP are answered in every state, numbers with no
 * subscription included (CTIA). Y/YES and START/UNSTOP confirm a pending double opt-in and re-subscribe someone
 * who opted out; from anyone else they are an ordinary reply, because a yes without the disclosures of an opt-in
 * call to action is not consent.
 */
export function inboundAction(intent: InboundIntent, state: ConsentState): InboundAction {
  switch (intent) {
    case 'opt_out':
      return 'opt_out'
    case 'help':
      return 'help'
    case 'confirm':
    case 'opt_in':
      if (state === 'pending_double_opt_in') return 'confirm_double_opt_in'
      if (state === 'unsubscribed') return 'resubscribe'
      return 'conversation'
    case 'none':
      return 'conversation'
  }
}

function brand(companyName: string): string {
  const name = companyName.replace(/\s+/g, ' ').trim()
  return name === '' ? '' : `${name}: `
}

/**
 * The one reply to an opt-out (COMPLIANCE.md §1.6): the brand, that no more messages will come, and how to
 * re-join; nothing promotional. `scope` 'marketing' is for companies that turned revoke-all off (default 'all').
 */
export function optOutConfirmation(companyName: string, scope: 'all' | 'marketing' = 'all'): string {
  const what = scope === 'all' ? 'messages' : 'marketing messages'
  return `${brand(companyName)}You are unsubscribed and will receive no more ${what}. Reply START to resubscribe.`
}

/**
 * The HELP/INFO reply (COMPLIANCE.md §1.6): the company's help text when it has one, else a default naming the
 * frequency and the support contact. Either way it starts with the brand and carries "Msg & data rates may apply"
 * and STOP instructions, added when the company's text lacks them.
 */
export function helpReply(companyName: string, helpText?: string, supportContact?: string): string {
  const name = companyName.replace(/\s+/g, ' ').trim()
  const contact = supportContact?.trim()
  let text = helpText?.trim()
    ? helpText.trim()
    : `Msg frequency varies.${contact ? ` Help: ${contact}.` : ''}`
  if (name !== '' && !text.toLowerCase().startsWith(name.toLowerCase())) text = `${brand(name)}${text}`
  if (!/data rates/i.test(text)) text = `${text} Msg & data rates may apply.`
  if (!/\bstop\b/i.test(text)) text = `${text} Reply STOP to cancel.`
  return text
}
