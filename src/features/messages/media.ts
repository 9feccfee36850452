import http from 'node:http'
import https from 'node:https'
import { checkMmsMedia, MMS_MAX_BYTES, type MediaVerdict } from '../../compliance/encoding.ts'
import { AppError } from '../../http/errors.ts'
import { checkUrlForm, safeLookup } from '../webhooks/url-safety.ts'

/** Options of checkMediaUrl. */
export interface MediaFetchOptions {
  /** ATTUNE_MEDIA_ALLOW_PRIVATE: private and loopback hosts allowed (development and tests). */
  allowPrivate: boolean
  /** The whole fetch, redirects included, must finish within this. Default 5,000 ms. */
  timeoutMs?: number
}

/** What the fetch saw: the declared type, the size and the first bytes. */
interface Fetched {
  status: number
  location: string | undefined
  contentType: string
  size: number
  head: Uint8Array
}

const MAX_REDIRECTS = 3
const HEAD_BYTES = 16

// One GET that reads at most MMS_MAX_BYTES + 1 bytes: enough to know the file is too large without downloading
// more. The connection goes to an address safeLookup checked, so a host cannot resolve to 127.0.0.1 after the
// form check (DNS rebinding); the address of a literal IP was checked by checkUrlForm.
function fetchBounded(url: URL, options: MediaFetchOptions, signal: AbortSignal): Promise<Fetched> {
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      { signal, ...(options.allowPrivate ? {} : { lookup: safeLookup }) },
      (response) => {
        const status = response.statusCode ?? 0
        const declared = Number(response.headers['content-length'])
        const base = {
          status,
          location: response.headers.location,
          contentType: response.headers['content-type'] ?? '',
        }
        if (status < 200 || status >= 300 || declared > MMS_MAX_BYTES) {
          response.destroy()
          return resolve({ ...base, size: Number.isFinite(declared) ? declared : 0, head: new Uint8Array() })
        }
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          size += chunk.length
          if (size > MMS_MAX_BYTES) response.destroy()
        })
        const done = () =>
          resolve({ ...base, size, head: new Uint8Array(Buffer.concat(chunks).subarray(0, HEAD_BYTES)) })
        response.on('end', done)
        response.on('close', done)
        response.on('error', reject)
      },
    )
    request.on('error', reject)
  })
}

const REASONS: Record<Exclude<MediaVerdict, { ok: true }>['reason'], string> = {
  unsupported_type: 'is not a gif, png or jpg image',
  too_large: `is larger than ${MMS_MAX_BYTES / 1000} KB`,
  type_mismatch: 'has content that does not match its declared image type',
  empty: 'is empty',
}

function refuse(field: string, url: string, why: string): AppError {
  return new AppError(
    'invalid_media',
    `${field}: '${url}' ${why}; expected a public gif, png or jpg URL under 500 KB`,
    { field },
  )
}

/**
 * Fetches an MMS `mediaUrl` (bounded in size and time, public addresses only unless allowed, at most three
 * redirects, each checked again) and checks it with compliance/encoding.ts checkMmsMedia: gif, png or jpg under
 * 500 KB whose bytes match the declared type (seed 002). Throws a 400 `invalid_media` naming `field` otherwise.
 */
export async function checkMediaUrl(text: string, field: string, options: MediaFetchOptions): Promise<void> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5000)
  let current = text
  for (let redirects = 0; redirects <= MAX_REDIRECTS; redirects++) {
    const problem = checkUrlForm(current, { allowHttp: true, allowPrivate: options.allowPrivate })
    if (problem) throw new AppError('invalid_media', `${field}: ${problem}`, { field })
    let fetched: Fetched
    try {
      fetched = await fetchBounded(new URL(current), options, signal)
    } catch (error) {
      const reason = signal.aborted
        ? 'took too long to fetch'
        : `could not be fetched (${(error as Error).message})`
      throw refuse(field, text, reason)
    }
    if (fetched.status >= 300 && fetched.status < 400 && fetched.location) {
      current = new URL(fetched.location, current).toString()
      continue
    }
    if (fetched.status < 200 || fetched.status >= 300)
      throw refuse(field, text, `answered HTTP ${fetched.status}`)
    const verdict = checkMmsMedia({
      contentType: fetched.contentType,
      size: fetched.size,
      head: fetched.head,
    })
    if (!verdict.ok) throw refuse(field, text, REASONS[verdict.reason])
    return
  }
  throw refuse(field, text, `redirects more than ${MAX_REDIRECTS} times`)
}
