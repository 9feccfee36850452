import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeSms } from './encoding.ts'
import {
  classifyInbound,
  helpReply,
  inboundAction,
  optOutConfirmation,
  type ConsentState,
  type InboundAction,
  type InboundIntent,
} from './keywords.ts'

// COMPLIANCE.md §1.5 and §4.7.1, one row per reply as a subscriber might type it.
const cases: Array<[reply: string, intent: InboundIntent]> = [
  // every opt-out keyword alone (FCC 24-24, Twilio, Telnyx, AWS)
  ['STOP', 'opt_out'],
  ['STOPALL', 'opt_out'],
  ['STOP ALL', 'opt_out'],
  ['UNSUBSCRIBE', 'opt_out'],
  ['CANCEL', 'opt_out'],
  ['END', 'opt_out'],
  ['QUIT', 'opt_out'],
  ['REVOKE', 'opt_out'],
  ['OPTOUT', 'opt_out'],
  ['OPT OUT', 'opt_out'],
  ['OPT-OUT', 'opt_out'],
  ['opt_out', 'opt_out'],
  ['REMOVE', 'opt_out'],
  ['ARRET', 'opt_out'],
  ['Arrêt', 'opt_out'],
  ['TD', 'opt_out'],
  ['unsub', 'opt_out'],
  // any case
  ['stop', 'opt_out'],
  ['Stop', 'opt_out'],
  ['sToP', 'opt_out'],
  ['Unsubscribe', 'opt_out'],
  ['cancel', 'opt_out'],
  ['Quit', 'opt_out'],
  ['opt out', 'opt_out'],
  ['Opt Out', 'opt_out'],
  ['stopall', 'opt_out'],
  // punctuation, emoji, whitespace, spelled-out letters
  ['stop.', 'opt_out'],
  ['STOP!', 'opt_out'],
  ['STOP!!!', 'opt_out'],
  ['stop?', 'opt_out'],
  ['"STOP"', 'opt_out'],
  ["'stop'", 'opt_out'],
  ['(stop)', 'opt_out'],
  ['  Opt out ', 'opt_out'],
  ['\tSTOP\n', 'opt_out'],
  ['STOP 🛑', 'opt_out'],
  ['😡 stop 😡', 'opt_out'],
  ['stop🙏', 'opt_out'],
  ['S.T.O.P', 'opt_out'],
  ['s t o p', 'opt_out'],
  ['Stop-', 'opt_out'],
  ['*STOP*', 'opt_out'],
  ['STOP2', 'opt_out'],
  ['END.', 'opt_out'],
  ['Cancel!!', 'opt_out'],
  ['quit...', 'opt_out'],
  ['🛑', 'opt_out'],
  ['S\u200BTOP', 'opt_out'],
  // full-width and compatibility forms (NFKC)
  ['ＳＴＯＰ', 'opt_out'],
  ['ｓｔｏｐ', 'opt_out'],
  ['ＳＴＯＰ！', 'opt_out'],
  ['ＵＮＳＵＢＳＣＲＩＢＥ', 'opt_out'],
  ['ＯＰＴ ＯＵＴ', 'opt_out'],
  ['ＨＥＬＰ', 'help'],
  ['ＳＴＡＲＴ', 'opt_in'],
  ['Ｙ', 'confirm'],
  // keyword as the first word: acts, including the accepted over-trigger of §4.7.1
  ['Stop by later', 'opt_out'],
  ['STOP please', 'opt_out'],
  ['stop sending me these', 'opt_out'],
  ['Stop it', 'opt_out'],
  ['Cancel my order', 'opt_out'],
  ['End this now', 'opt_out'],
  ['Quit texting', 'opt_out'],
  ['Unsubscribe me', 'opt_out'],
  ['Unsubscribe me please', 'opt_out'],
  ['Remove me', 'opt_out'],
  ['Opt out of everything', 'opt_out'],
  ['Revoke my consent', 'opt_out'],
  ['Stop, who is this?', 'opt_out'],
  ['STOP STOP STOP', 'opt_out'],
  ['Stop. Don’t text again', 'opt_out'],
  ['End of the month?', 'opt_out'],
  // politeness before the first word
  ['please stop', 'opt_out'],
  ['Please STOP!', 'opt_out'],
  ['ok stop', 'opt_out'],
  ['Okay, unsubscribe', 'opt_out'],
  ['hi, remove me', 'opt_out'],
  ['Just stop.', 'opt_out'],
  ['ugh stop', 'opt_out'],
  // clear intent in other words (rebuttable presumption of revocation, FCC; SPEC §4)
  ['please stop texting me', 'opt_out'],
  ['Can you stop texting me', 'opt_out'],
  ['I want you to stop messaging me', 'opt_out'],
  ['I want to stop receiving these', 'opt_out'],
  ['remove me', 'opt_out'],
  ['Please remove me from your list', 'opt_out'],
  ['can you remove my number', 'opt_out'],
  ['take me off your list', 'opt_out'],
  ['Take my number off your list please', 'opt_out'],
  ['I want off your mailing list', 'opt_out'],
  ['unsubscribe me', 'opt_out'],
  ['How do I unsubscribe?', 'opt_out'],
  ['I would like to opt out', 'opt_out'],
  ['opt me out', 'opt_out'],
  ['no more texts', 'opt_out'],
  ['No more messages please', 'opt_out'],
  ['No more!', 'opt_out'],
  ["don't text me", 'opt_out'],
  ['Do not text me again', 'opt_out'],
  ['do not contact me', 'opt_out'],
  ['Never message me again', 'opt_out'],
  ["I don't want these texts", 'opt_out'],
  ['I do not want any more messages', 'opt_out'],
  ['Not interested', 'opt_out'],
  ['Wrong number', 'opt_out'],
  ['sorry wrong person', 'opt_out'],
  ["I didn't sign up for this", 'opt_out'],
  ['I never signed up', 'opt_out'],
  ['leave me alone', 'opt_out'],
  ['Who is this? STOP', 'opt_out'],
  ['Thanks but please STOP', 'opt_out'],
  ['I said stop', 'opt_out'],
  ['I told you to stop', 'opt_out'],
  ['Make it stop', 'opt_out'],
  ['I want to stop', 'opt_out'],
  ['I quit', 'opt_out'],
  ['I want to cancel my subscription', 'opt_out'],
  ['stop the spam', 'opt_out'],
  ['Please stop all these texts', 'opt_out'],
  ['No, stop', 'opt_out'],
  ['Yes stop', 'opt_out'],
  ['I revoke consent', 'opt_out'],
  ['Help me stop these texts', 'opt_out'],
  ['Help, how do I unsubscribe', 'opt_out'],
  ['I want to stop, thank you', 'opt_out'],
  ['OK I’m done, STOP', 'opt_out'],
  ["Why won't you stop texting me", 'opt_out'],
  ["Can't you stop sending these?", 'opt_out'],
  ['please no more', 'opt_out'],
  ['stop texting me or I will report you', 'opt_out'],
  ["i'd like to stop getting these", 'opt_out'],
  // the last-word rule over-triggers on a trailing STOP, accepted like "Stop by later"
  ['Where is the bus stop', 'opt_out'],
  // negatives: a negation before the keyword, or the keyword inside ordinary words
  ["don't stop", 'none'],
  ['Don’t stop!', 'none'],
  ['do not stop', 'none'],
  ['please don’t stop sending deals', 'none'],
  ["can't stop laughing", 'none'],
  ['I cant stop smiling 😂', 'none'],
  ["I can't stop reading your messages", 'none'],
  ['Never stop', 'none'],
  ["I'll never stop shopping here", 'none'],
  ["I don't want to unsubscribe", 'none'],
  ['Please do not unsubscribe me', 'none'],
  ["don't remove me", 'none'],
  ["Don't make it stop", 'none'],
  ['I CAN’T STOP LAUGHING', 'none'],
  ['This is Christopher', 'none'],
  ['I want to stop by the store', 'none'],
  ['Stopping by later', 'none'],
  ['Is this the nonstop flight?', 'none'],
  ['When does the sale end?', 'none'],
  ['Can I cancel my order?', 'none'],
  ['Remove the item from my cart', 'none'],
  ["I'll stop by tomorrow", 'none'],
  ["Don't forget to stop by", 'none'],
  ['You guys never stop sending deals, love it', 'none'],
  ["don't ever stop", 'none'],
  ['the weekend sale was great', 'none'],
  ['Quite nice', 'none'],
  ['Backstop', 'none'],
  ['Thanks!', 'none'],
  ['Love this', 'none'],
  ['What time do you open?', 'none'],
  ['Who is this?', 'none'],
  ['No', 'none'],
  ['Maybe later', 'none'],
  ['STOPPED BY YESTERDAY', 'none'],
  ['', 'none'],
  ['   ', 'none'],
  ['😂😂', 'none'],
  ['12345', 'none'],
  // HELP / INFO
  ['HELP', 'help'],
  ['help', 'help'],
  ['Help!', 'help'],
  ['INFO', 'help'],
  ['info?', 'help'],
  ['AIDE', 'help'],
  ['h.e.l.p', 'help'],
  ['help me understand this offer', 'help'],
  ['Info about my order', 'help'],
  ['please help', 'help'],
  ['I need help', 'none'],
  // START / UNSTOP re-subscribe; only alone (politeness aside)
  ['START', 'opt_in'],
  ['start', 'opt_in'],
  ['Start!', 'opt_in'],
  ['UNSTOP', 'opt_in'],
  ['unstop.', 'opt_in'],
  ['Un-stop', 'opt_in'],
  ['START please', 'opt_in'],
  ['Start over', 'none'],
  ['Starting tomorrow', 'none'],
  // Y / YES confirm a pending double opt-in; only alone (politeness aside)
  ['Y', 'confirm'],
  ['y', 'confirm'],
  ['y.', 'confirm'],
  ['YES', 'confirm'],
  ['Yes!', 'confirm'],
  ['yes 👍', 'confirm'],
  ['Yes please', 'confirm'],
  ['ok yes', 'confirm'],
  ['Yes, thank you', 'confirm'],
  ['Yes I want to join', 'none'],
  ['Yeah', 'none'],
  ['Yesterday was great', 'none'],
]

for (const [reply, intent] of cases) {
  test(`classifies ${JSON.stringify(reply)} as ${intent}`, () => assert.equal(classifyInbound(reply), intent))
}

// The same keyword in every decoration a phone produces: keyword × case × punctuation/emoji × width.
const keywords: Array<[keyword: string, intent: InboundIntent]> = [
  ['stop', 'opt_out'],
  ['unsubscribe', 'opt_out'],
  ['cancel', 'opt_out'],
  ['end', 'opt_out'],
  ['quit', 'opt_out'],
  ['revoke', 'opt_out'],
  ['optout', 'opt_out'],
  ['stopall', 'opt_out'],
  ['help', 'help'],
  ['info', 'help'],
  ['start', 'opt_in'],
  ['unstop', 'opt_in'],
  ['yes', 'confirm'],
]
const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))
const decorations: Array<[name: string, decorate: (keyword: string) => string]> = [
  ['upper', (k) => k.toUpperCase()],
  ['title', (k) => k[0]!.toUpperCase() + k.slice(1)],
  ['trailing !', (k) => `${k}!`],
  ['spaces', (k) => `   ${k.toUpperCase()}  `],
  ['emoji', (k) => `🙏 ${k} 🙏`],
  ['full-width', (k) => fullWidth(k.toUpperCase())],
]
for (const [keyword, intent] of keywords) {
  for (const [name, decorate] of decorations) {
    const reply = decorate(keyword)
    test(`classifies ${keyword} (${name}) ${JSON.stringify(reply)} as ${intent}`, () =>
      assert.equal(classifyInbound(reply), intent))
  }
}

const actions: Array<[intent: InboundIntent, state: ConsentState, action: InboundAction]> = [
  ['opt_out', 'none', 'opt_out'],
  ['opt_out', 'pending_double_opt_in', 'opt_out'],
  ['opt_out', 'subscribed', 'opt_out'],
  ['opt_out', 'unsubscribed', 'opt_out'],
  ['help', 'none', 'help'],
  ['help', 'subscribed', 'help'],
  ['confirm', 'pending_double_opt_in', 'confirm_double_opt_in'],
  ['confirm', 'unsubscribed', 'resubscribe'],
  ['confirm', 'subscribed', 'conversation'],
  ['confirm', 'none', 'conversation'],
  ['opt_in', 'pending_double_opt_in', 'confirm_double_opt_in'],
  ['opt_in', 'unsubscribed', 'resubscribe'],
  ['opt_in', 'subscribed', 'conversation'],
  ['opt_in', 'none', 'conversation'],
  ['none', 'subscribed', 'conversation'],
  ['none', 'none', 'conversation'],
]
for (const [intent, state, action] of actions) {
  test(`${intent} from a person in state ${state} is ${action}`, () =>
    assert.equal(inboundAction(intent, state), action))
}

test('the opt-out confirmation names the brand, promises no more messages, says how to re-join, and is one GSM-7 part', () => {
  const text = optOutConfirmation('Acme Outfitters')
  assert.equal(
    text,
    'Acme Outfitters: You are unsubscribed and will receive no more messages. Reply START to resubscribe.',
  )
  assert.deepEqual(encodeSms(text), { encoding: 'GSM-7', segments: 1, units: text.length })
  assert.doesNotMatch(text, /https?:|%|sale|offer|discount|deal/i)
})

test('the opt-out confirmation for marketing-only revocation says marketing messages', () => {
  assert.match(optOutConfirmation('Acme', 'marketing'), /^Acme: .*no more marketing messages\. Reply START/)
})

test('the opt-out confirmation tidies whitespace in the brand name', () => {
  assert.match(optOutConfirmation('  Acme \n Co '), /^Acme Co: You are unsubscribed/)
})

test('the default HELP reply carries brand, frequency, contact, rates and STOP', () => {
  assert.equal(
    helpReply('Acme', undefined, 'support@acme.test'),
    'Acme: Msg frequency varies. Help: support@acme.test. Msg & data rates may apply. Reply STOP to cancel.',
  )
})

test("the company's HELP text is used and completed with the brand, rates and STOP when it lacks them", () => {
  assert.equal(
    helpReply('Acme', 'Questions? Call 1-800-555-0100.'),
    'Acme: Questions? Call 1-800-555-0100. Msg & data rates may apply. Reply STOP to cancel.',
  )
})

test("the company's complete HELP text is sent unchanged", () => {
  const text = 'Acme Alerts: up to 6 msgs/mo. Msg & data rates may apply. help@acme.test. Text STOP to quit.'
  assert.equal(helpReply('Acme', text), text)
})
