import type pg from 'pg'

/** Options of ChannelListener. */
export interface ChannelListenerOptions {
  /** Makes a new, not yet connected client for LISTEN. */
  connect: () => pg.Client | Promise<pg.Client>
  channel: string
  /** Called on every notification of the channel (workers use it to wake their claim loop). */
  onNotify: () => void
  /** Told when the connection is lost; the owner goes on polling until `ensure` opens a new one. */
  onLost: (error: Error) => void
}

/**
 * One LISTEN connection for a channel, re-opened on demand after a loss. The job runner and the message and
 * webhook dispatchers call `ensure()` at the top of each claim loop and poll meanwhile, so a lost notification
 * costs at most one poll interval and never a stuck worker.
 */
export class ChannelListener {
  private client: pg.Client | undefined
  private closed = false
  private readonly options: ChannelListenerOptions

  constructor(options: ChannelListenerOptions) {
    this.options = options
  }

  /** Opens and LISTENs if there is no live connection; rejects when that fails (the caller polls). */
  async ensure(): Promise<void> {
    if (this.client || this.closed) return
    const client = await this.options.connect()
    this.client = client
    client.on('notification', (message) => {
      if (message.channel === this.options.channel) this.options.onNotify()
    })
    client.on('error', (error) => {
      if (this.client === client) this.client = undefined
      this.options.onLost(error)
      client.end().catch(() => {})
    })
    try {
      await client.connect()
      await client.query(`listen ${this.options.channel}`)
    } catch (error) {
      if (this.client === client) this.client = undefined
      await client.end().catch(() => {})
      throw error
    }
  }

  /** Ends the connection; `ensure` does nothing afterwards. */
  async close(): Promise<void> {
    this.closed = true
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => {})
  }
}
