import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { postWebhook } from './deliver.ts'

/** A local server answering every request with `handler`; counts the requests it saw. */
async function serve(t: TestContext, handler: http.RequestListener) {
  const seen = { requests: 0 }
  const server = http.createServer((request, response) => {
    seen.requests += 1
    handler(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  return { port: (server.address() as AddressInfo).port, seen }
}

const body = Buffer.from('{"type":"sms.sent"}')
const allowed = { allowPrivate: true }

test('a response body is read only up to the limit, however much the receiver sends', async (t) => {
  const { port } = await serve(t, (_request, response) => {
    response.writeHead(200)
    const chunk = Buffer.alloc(64 * 1024, 'x')
    // Never ends: the sender must stop reading on its own.
    const timer = setInterval(() => response.write(chunk), 1)
    response.on('close', () => clearInterval(timer))
  })
  const result = await postWebhook(`http://127.0.0.1:${port}/`, {}, body, { ...allowed, responseLimitBytes: 4096, timeoutMs: 5000 })
  assert.equal(result.statusCode, 200)
  assert.equal(result.error, undefined)
  assert.equal(result.responseExcerpt?.length, 4096)
  assert.ok(result.latencyMs < 4000, `stopped reading early (${result.latencyMs} ms)`)
})

test('a receiver that does not answer within the timeout is a failure', async (t) => {
  const { port } = await serve(t, () => {})
  const result = await postWebhook(`http://127.0.0.1:${port}/`, {}, body, { ...allowed, timeoutMs: 200 })
  assert.equal(result.statusCode, undefined)
  assert.equal(result.error, 'no answer within 200 ms')
  assert.ok(result.latencyMs >= 190)
})

test('a redirect is returned as the failure it is, never followed', async (t) => {
  const target = await serve(t, (_request, response) => response.end('ok'))
  const { port } = await serve(t, (_request, response) => {
    response.writeHead(302, { location: `http://127.0.0.1:${target.port}/` })
    response.end()
  })
  const result = await postWebhook(`http://127.0.0.1:${port}/`, {}, body, { ...allowed, timeoutMs: 2000 })
  assert.deepEqual([result.statusCode, result.error], [302, 'answered 302'])
  assert.equal(target.seen.requests, 0)
})

test('loopback targets are refused before connecting unless allowed, by address or by name', async (t) => {
  const { port, seen } = await serve(t, (_request, response) => response.end('ok'))
  const byAddress = await postWebhook(`http://127.0.0.1:${port}/`, {}, body, { allowPrivate: false, timeoutMs: 2000 })
  assert.equal(byAddress.statusCode, undefined)
  assert.match(byAddress.error ?? '', /private address/)
  const byName = await postWebhook(`http://localhost:${port}/`, {}, body, { allowPrivate: false, timeoutMs: 2000 })
  assert.equal(byName.statusCode, undefined)
  assert.match(byName.error ?? '', /^EPRIVATE: localhost resolves to the private address/)
  assert.equal(seen.requests, 0)
  const permitted = await postWebhook(`http://localhost:${port}/`, {}, body, { allowPrivate: true, timeoutMs: 2000 })
  assert.equal(permitted.statusCode, 200)
})

test('a keep-alive connection the receiver dropped while idle is replaced, and the delivery still succeeds', async (t) => {
  const sockets = new Set<unknown>()
  // The second request on a connection finds it closed without an answer, as when a receiver's idle timeout fires
  // just as the connection is reused.
  const { port, seen } = await serve(t, (request, response) => {
    if (sockets.has(request.socket)) {
      request.socket.destroy()
      return
    }
    sockets.add(request.socket)
    response.end('ok')
  })
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 1 }), https: undefined as never }
  t.after(() => agents.http.destroy())
  const url = `http://127.0.0.1:${port}/hook`
  const first = await postWebhook(url, {}, body, { ...allowed, agents })
  assert.equal(first.statusCode, 200)
  const second = await postWebhook(url, {}, body, { ...allowed, agents })
  assert.equal(second.error, undefined, 'no failure: the request went again on a new connection')
  assert.equal(second.statusCode, 200)
  assert.equal(seen.requests, 3, 'one dropped on the reused connection, one on a new one')
  assert.equal(sockets.size, 2)
})
