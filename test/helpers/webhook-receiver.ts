import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { TestContext } from 'node:test'

/** One request as the receiver got it: the raw body bytes, unparsed, for signature checks. */
export interface ReceivedRequest {
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** The status the receiver answered (0 while hanging). */
  answered: number
  /** Date.now() when the body had arrived. */
  at: number
  /** performance.now() when the answer was sent (a receiver working concurrently finishes in this order). */
  answeredAt: number | undefined
}

/**
 * How the receiver answers: a status (with headers, e.g. a Location to redirect, and after a delay), or hang
 * (never answer).
 */
export type ReceiverBehaviour =
  | { kind: 'status'; status: number; headers?: Record<string, string>; delayMs?: () => number }
  | { kind: 'hang' }

/**
 * A real HTTP server on 127.0.0.1 playing a webhook receiver: records every request's raw body and headers, and
 * can be told to fail, hang, answer 410, or go down (stop listening, so connections are refused) and come back
 * on the same port.
 */
export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  url: string
  /** Every request whose body arrived, in arrival order. */
  received: ReceivedRequest[]
  /** The most requests that were open at once. */
  maxConcurrent: number
  /** The next requests are answered this way. Default: 200. */
  behave(behaviour: ReceiverBehaviour): void
  /** Stops listening and drops open connections: senders get ECONNREFUSED. */
  down(): Promise<void>
  /** Listens again on the same port. */
  up(): Promise<void>
  /** Requests answered 2xx. */
  succeeded(): ReceivedRequest[]
}

/** Starts a receiver; it is closed after the test. */
export async function startWebhookReceiver(t: Pick<TestContext, 'after'>): Promise<WebhookReceiver> {
  let behaviour: ReceiverBehaviour = { kind: 'status', status: 200 }
  const sockets = new Set<Socket>()
  let open = 0
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    maxConcurrent: 0,
    behave: (next) => (behaviour = next),
    down: () => stop(),
    up: () => listen(port),
    succeeded: () => receiver.received.filter((r) => r.answered >= 200 && r.answered < 300),
  }

  const server = http.createServer((request, response) => {
    open += 1
    receiver.maxConcurrent = Math.max(receiver.maxConcurrent, open)
    response.on('close', () => (open -= 1))
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const current = behaviour
      const entry: ReceivedRequest = {
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
        answered: current.kind === 'status' ? current.status : 0,
        at: Date.now(),
        answeredAt: undefined,
      }
      receiver.received.push(entry)
      if (current.kind === 'hang') return
      const answer = () => {
        entry.answeredAt = performance.now()
        response.writeHead(current.status, { 'content-type': 'text/plain', ...current.headers })
        response.end(current.status < 300 ? 'ok' : `status ${current.status}`)
      }
      const delay = current.delayMs?.() ?? 0
      if (delay > 0) setTimeout(answer, delay)
      else answer()
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  function listen(on: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(on, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  }

  async function stop(): Promise<void> {
    if (!server.listening) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }

  await listen(0)
  const port = (server.address() as AddressInfo).port
  receiver.url = `http://127.0.0.1:${port}/hook`
  t.after(stop)
  return receiver
}
