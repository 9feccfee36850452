// The baseline server: an empty Fastify handler, the same Fastify version as Attune, in a process of its own, so
// a ratio to it measures only what Attune adds. Plain JavaScript on purpose (no type annotations): startEmptyFastify
// runs this text on plain node, as `attune` runs, so that its idle memory is a fair baseline.
// `POST /` reads and parses a JSON body, to separate what any Fastify POST costs from what Attune adds.
// Prints `listening <url>` once it accepts connections; stops on SIGTERM.
import Fastify from 'fastify'

const app = Fastify()
app.get('/', async () => ({}))
app.post('/', async () => ({}))
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`listening ${url}\n`)
process.once('SIGTERM', () => void app.close())
