import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  checkMmsMedia,
  encodeSms,
  gsmSeptets,
  MMS_MAX_BYTES,
  smartEncode,
  type MediaVerdict,
  type SmsEncoding,
} from './encoding.ts'

const a = (n: number) => 'a'.repeat(n)

// Golden cases: COMPLIANCE.md §3.2 (observed with Twilio's segment calculator) first, then the edges of 3GPP
// TS 23.038/23.040: extension characters, ESC pairs and surrogate pairs at part boundaries.
const cases: Array<[name: string, body: string, expected: SmsEncoding]> = [
  ['160 × a fits one part', a(160), { encoding: 'GSM-7', segments: 1, units: 160 }],
  ['161 × a needs two parts', a(161), { encoding: 'GSM-7', segments: 2, units: 161 }],
  ['306 × a is exactly two parts of 153', a(306), { encoding: 'GSM-7', segments: 2, units: 306 }],
  ['307 × a needs three parts', a(307), { encoding: 'GSM-7', segments: 3, units: 307 }],
  ['80 × € is 160 septets, one part', '€'.repeat(80), { encoding: 'GSM-7', segments: 1, units: 160 }],
  ['81 × € is 162 septets, two parts', '€'.repeat(81), { encoding: 'GSM-7', segments: 2, units: 162 }],
  ['67 × a + ’ switches to UCS-2, one part', a(67) + '’', { encoding: 'UCS-2', segments: 1, units: 68 }],
  [
    '70 × a + ç is UCS-2 (small ç is not GSM), two parts',
    a(70) + 'ç',
    { encoding: 'UCS-2', segments: 2, units: 71 },
  ],
  ['69 × a + 😀 is 71 UTF-16 units, two parts', a(69) + '😀', { encoding: 'UCS-2', segments: 2, units: 71 }],
  ['capital Ç is GSM-7 (3GPP table 0x09)', a(159) + 'Ç', { encoding: 'GSM-7', segments: 1, units: 160 }],
  ['empty body is one empty part', '', { encoding: 'GSM-7', segments: 1, units: 0 }],
  ['LF and CR are basic characters', 'a\nb\r', { encoding: 'GSM-7', segments: 1, units: 4 }],
  ['every basic Greek capital is GSM-7', 'ΔΦΓΛΩΠΨΣΘΞ', { encoding: 'GSM-7', segments: 1, units: 10 }],
  ['the whole extension table costs 2 each', '\f^{}\\[~]|€', { encoding: 'GSM-7', segments: 1, units: 20 }],
  ['159 × a + € is 161 septets: two parts', a(159) + '€', { encoding: 'GSM-7', segments: 2, units: 161 }],
  ['158 × a + € is 160 septets: one part', a(158) + '€', { encoding: 'GSM-7', segments: 1, units: 160 }],
  // 152 septets then an ESC pair: the pair cannot straddle the 153 boundary, so it moves to part 2 whole.
  [
    'an ESC pair is never split across parts',
    a(152) + '€' + a(152),
    { encoding: 'GSM-7', segments: 3, units: 306 },
  ],
  [
    'ESC pair exactly filling part one',
    a(151) + '€' + a(153),
    { encoding: 'GSM-7', segments: 2, units: 306 },
  ],
  ['70 × é (GSM) is GSM-7', 'é'.repeat(70), { encoding: 'GSM-7', segments: 1, units: 70 }],
  ['a single emoji forces UCS-2', 'Hi 👋', { encoding: 'UCS-2', segments: 1, units: 5 }],
  ['70 UCS-2 units fit one part', a(69) + '’', { encoding: 'UCS-2', segments: 1, units: 70 }],
  ['71 UCS-2 units need two parts', a(70) + '’', { encoding: 'UCS-2', segments: 2, units: 71 }],
  ['134 UCS-2 units are two parts of 67', a(133) + '’', { encoding: 'UCS-2', segments: 2, units: 134 }],
  ['135 UCS-2 units need three parts', a(134) + '’', { encoding: 'UCS-2', segments: 3, units: 135 }],
  // 66 units then an emoji: the surrogate pair moves whole to part 2, so 66 + 2 + 66 units need three parts.
  [
    'a surrogate pair is never split across parts',
    '’' + a(65) + '😀' + a(66),
    { encoding: 'UCS-2', segments: 3, units: 134 },
  ],
  [
    'a surrogate pair exactly filling part one',
    '’' + a(64) + '😀' + a(67),
    { encoding: 'UCS-2', segments: 2, units: 134 },
  ],
  ['CJK text is UCS-2, one unit each', '你好世界', { encoding: 'UCS-2', segments: 1, units: 4 }],
  ['a flag emoji is two surrogate pairs', '🇺🇸', { encoding: 'UCS-2', segments: 1, units: 4 }],
  ['the Ohm sign is not the GSM Omega', '\u2126', { encoding: 'UCS-2', segments: 1, units: 1 }],
  ['a backtick is not GSM', '`', { encoding: 'UCS-2', segments: 1, units: 1 }],
  ['a tab is not GSM', 'a\tb', { encoding: 'UCS-2', segments: 1, units: 3 }],
  [
    'the Attune welcome example is one GSM-7 part',
    "Acme: You're in for Acme Rewards texts! Up to 6 msgs/mo. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
    { encoding: 'GSM-7', segments: 1, units: 121 },
  ],
]

for (const [name, body, expected] of cases) {
  test(`encodeSms: ${name}`, () => assert.deepEqual(encodeSms(body), expected))
}

test('the basic table has 127 printable entries and the extension table 10, each costed once', () => {
  let basic = 0
  let extension = 0
  for (let code = 0; code < 0x10000; code++) {
    const cost = gsmSeptets(String.fromCharCode(code))
    if (cost === 1) basic += 1
    if (cost === 2) extension += 1
  }
  assert.equal(basic, 127)
  assert.equal(extension, 10)
})

const smart: Array<[input: string, output: string]> = [
  ['“Hello” it’s ‘me’', "\"Hello\" it's 'me'"],
  ['Sale – 50% off — today…', 'Sale - 50% off - today...'],
  ['a\u00A0b\u2009c\u200Bd', 'a b cd'],
  ['«quote» ‹a›', '"quote" <a>'],
  ['• item', '- item'],
  ['café ç 😀', 'café ç 😀'],
]
for (const [input, output] of smart) {
  test(`smartEncode: ${JSON.stringify(input)} → ${JSON.stringify(output)}`, () =>
    assert.equal(smartEncode(input), output))
}

test('smartEncode turns a body made UCS-2 only by curly quotes back into one GSM-7 part', () => {
  const body = `${a(100)} it’s “on” now`
  assert.equal(encodeSms(body).encoding, 'UCS-2')
  assert.equal(encodeSms(body).segments, 2)
  assert.deepEqual(encodeSms(smartEncode(body)), { encoding: 'GSM-7', segments: 1, units: 114 })
})

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])
const GIF = Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61])
const JPG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])
const media: Array<
  [name: string, input: { contentType: string; size: number; head: Uint8Array }, expected: MediaVerdict]
> = [
  ['png', { contentType: 'image/png', size: 1_000, head: PNG }, { ok: true, contentType: 'image/png' }],
  ['gif', { contentType: 'image/gif', size: 1_000, head: GIF }, { ok: true, contentType: 'image/gif' }],
  ['jpeg', { contentType: 'image/jpeg', size: 1_000, head: JPG }, { ok: true, contentType: 'image/jpeg' }],
  [
    'image/jpg alias',
    { contentType: 'image/jpg', size: 1_000, head: JPG },
    { ok: true, contentType: 'image/jpeg' },
  ],
  [
    'type with parameters and case',
    { contentType: 'Image/PNG; charset=binary', size: 10, head: PNG },
    { ok: true, contentType: 'image/png' },
  ],
  [
    'exactly the limit',
    { contentType: 'image/png', size: MMS_MAX_BYTES, head: PNG },
    { ok: true, contentType: 'image/png' },
  ],
  [
    'one byte over',
    { contentType: 'image/png', size: MMS_MAX_BYTES + 1, head: PNG },
    { ok: false, reason: 'too_large' },
  ],
  [
    '500 KiB is over 500 KB',
    { contentType: 'image/png', size: 512_000, head: PNG },
    { ok: false, reason: 'too_large' },
  ],
  ['webp', { contentType: 'image/webp', size: 1_000, head: PNG }, { ok: false, reason: 'unsupported_type' }],
  ['video', { contentType: 'video/mp4', size: 1_000, head: PNG }, { ok: false, reason: 'unsupported_type' }],
  [
    'html posing as png',
    { contentType: 'image/png', size: 1_000, head: new TextEncoder().encode('<html>') },
    { ok: false, reason: 'type_mismatch' },
  ],
  [
    'gif bytes declared as png',
    { contentType: 'image/png', size: 1_000, head: GIF },
    { ok: false, reason: 'type_mismatch' },
  ],
  [
    'empty file',
    { contentType: 'image/png', size: 0, head: new Uint8Array() },
    { ok: false, reason: 'empty' },
  ],
]
for (const [name, input, expected] of media) {
  test(`checkMmsMedia: ${name}`, () => assert.deepEqual(checkMmsMedia(input), expected))
}
