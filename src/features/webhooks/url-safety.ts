import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { promises as dns } from 'node:dns'
import net, { BlockList } from 'node:net'

/**
 * Addresses a webhook may not target unless the operator allows private targets (ATTUNE_WEBHOOK_ALLOW_PRIVATE):
 * loopback, private, link-local (cloud metadata at 169.254.169.254), shared, multicast and reserved ranges
 * (IANA special-purpose registries, RFC 6890), so a company cannot make Attune call into its own network.
 */
const BLOCKED = new BlockList()
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(prefix, bits, 'ipv4')
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(prefix, bits, 'ipv6')
}

/** Whether `address` (an IP literal) is private, loopback, link-local or otherwise not public. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address)
  if (family === 4) return BLOCKED.check(address, 'ipv4')
  if (family !== 6) return true
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) reaches the IPv4 host: judge that.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1]) return BLOCKED.check(mapped[1], 'ipv4')
  return BLOCKED.check(address, 'ipv6') || /^::ffff:/i.test(address)
}

/** The host of `url` without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1')
}

/** What is allowed besides public https targets. */
export interface UrlPolicy {
  allowHttp: boolean
  allowPrivate: boolean
}

/** Why a URL is refused, as the second half of an error message naming the field; undefined when acceptable. */
export function checkUrlForm(text: string, policy: UrlPolicy): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `'${text}' is not an absolute URL; expected https://host/path`
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return `'${text}' must use https (http only when the operator sets ATTUNE_ALLOW_HTTP_WEBHOOKS); expected https://host/path`
  }
  if (!url.hostname) return `'${text}' has no host; expected https://host/path`
  if (!policy.allowPrivate) {
    const host = hostOf(url)
    if (net.isIP(host) ? isPrivateAddress(host) : /(^|\.)localhost\.?$/i.test(host)) {
      return `'${text}' points at a private, loopback or link-local address; expected a public host`
    }
  }
  return undefined
}

/**
 * checkUrlForm, then, for a host name, its DNS answers: refused if it does not resolve or any address is
 * private. The dispatcher checks again at send time (safeLookup), because DNS can change after creation.
 */
export async function checkUrl(text: string, policy: UrlPolicy): Promise<string | undefined> {
  const formProblem = checkUrlForm(text, policy)
  if (formProblem || policy.allowPrivate) return formProblem
  const host = hostOf(new URL(text))
  if (net.isIP(host)) return undefined
  let addresses: LookupAddress[]
  try {
    addresses = await dns.lookup(host, { all: true, verbatim: true })
  } catch {
    return `'${text}': the host ${host} does not resolve; expected a public host name`
  }
  if (addresses.some((a) => isPrivateAddress(a.address))) {
    return `'${text}': the host ${host} resolves to a private, loopback or link-local address; expected a public host`
  }
  return undefined
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for http.request that refuses private answers, so the address connected to is the one checked
 * (a host cannot pass the check and then resolve to 127.0.0.1 for the request: DNS rebinding).
 */
export function safeLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, [])
    const blocked = addresses.find((a) => isPrivateAddress(a.address))
    if (blocked) {
      const refused: NodeJS.ErrnoException = new Error(`${hostname} resolves to the private address ${blocked.address}`)
      refused.code = 'EPRIVATE'
      return callback(refused, [])
    }
    const all = (options as { all?: boolean }).all
    if (all) return callback(null, addresses)
    const first = addresses[0]
    if (!first) return callback(new Error(`${hostname} has no address`), [])
    callback(null, first.address, first.family)
  })
}
