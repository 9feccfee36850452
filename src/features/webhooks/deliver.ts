import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { isPrivateAddress, safeLookup } from './url-safety.ts'

/** How one HTTP attempt ended. */
export interface PostResult {
  /** The response status, or undefined when none came (refused, reset, timed out, blocked). */
  statusCode: number | undefined
  latencyMs: number
  /** What went wrong, for the delivery log; undefined on a 2xx. */
  error: string | undefined
  /** The response body's start, at most `responseLimitBytes`, as text. */
  responseExcerpt: string | undefined
  retryAfter: string | undefined
}

/** Options of `postWebhook`. */
export interface PostOptions {
  /** Whole request, headers and body, must finish within this. Default 10,000 (ATTENTIVE_API.md §4.4). */
  timeoutMs?: number
  /** Most response bytes read; the rest is discarded with the connection. Default 4,096. */
  responseLimitBytes?: number
  /** Allow private, loopback and link-local targets (ATTUNE_WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: boolean
  /** Keep-alive agents to reuse connections per receiver; default Node's global agents. */
  agents?: { http: http.Agent; https: https.Agent } | undefined
}

/**
 * POSTs one signed body. Never follows a redirect: a 3xx is returned like any other status and counts as a
 * failure (§4.4). A private target is refused before connecting unless allowed; for a host name the check
 * happens in the DNS lookup of the connection itself (safeLookup).
 */
export function postWebhook(url: string, headers: Record<string, string>, body: Buffer, options: PostOptions): Promise<PostResult> {
  const refused = (error: string): Promise<PostResult> =>
    Promise.resolve({ statusCode: undefined, latencyMs: 0, error, responseExcerpt: undefined, retryAfter: undefined })
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return refused(`'${url}' is not a URL`)
  }
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!options.allowPrivate && net.isIP(host) && isPrivateAddress(host)) return refused(`refused: ${host} is a private address`)
  return send(target, headers, body, options)
}

function send(
  target: URL,
  headers: Record<string, string>,
  body: Buffer,
  options: PostOptions,
  retried = false,
): Promise<PostResult> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const limit = options.responseLimitBytes ?? 4096
  const started = performance.now()
  const secure = target.protocol === 'https:'
  return new Promise((resolve) => {
    let settled = false
    let statusCode: number | undefined
    let retryAfter: string | undefined
    const chunks: Buffer[] = []
    let read = 0
    const request = (secure ? https : http).request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(body.length) },
      agent: options.agents ? (secure ? options.agents.https : options.agents.http) : undefined,
      ...(options.allowPrivate ? {} : { lookup: safeLookup }),
    })
    const timer = setTimeout(() => {
      request.destroy()
      finish(statusCode === undefined ? `no answer within ${timeoutMs} ms` : undefined)
    }, timeoutMs)
    function finish(error: string | undefined): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      const success = statusCode !== undefined && statusCode >= 200 && statusCode < 300
      resolve({
        statusCode,
        latencyMs: Math.round(performance.now() - started),
        error: success ? undefined : (error ?? `answered ${statusCode}`),
        responseExcerpt: chunks.length > 0 ? Buffer.concat(chunks).subarray(0, limit).toString('utf8') : undefined,
        retryAfter,
      })
    }
    request.on('response', (response) => {
      statusCode = response.statusCode
      const header = response.headers['retry-after']
      retryAfter = Array.isArray(header) ? header[0] : header
      response.on('data', (chunk: Buffer) => {
        if (read < limit) chunks.push(chunk)
        read += chunk.length
        // Enough read: drop the connection rather than download an unbounded body.
        if (read >= limit) {
          response.destroy()
          finish(undefined)
        }
      })
      response.on('end', () => finish(undefined))
      response.on('error', () => finish(undefined))
      response.on('close', () => finish(undefined))
    })
    request.on('error', (error: NodeJS.ErrnoException) => {
      // The receiver closed an idle keep-alive connection just as it was reused (Node's server closes them after
      // 5 s): the request never reached it, so it goes once more on a new connection instead of waiting a minute
      // for its retry. Node's documentation recommends exactly this check of reusedSocket.
      const stale = request.reusedSocket && statusCode === undefined && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
      if (stale && !retried && !settled) {
        settled = true
        clearTimeout(timer)
        void send(target, headers, body, options, true).then(resolve)
        return
      }
      finish(error.code ? `${error.code}: ${error.message}` : error.message)
    })
    request.end(body)
  })
}
