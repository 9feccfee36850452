import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkUrlForm, isPrivateAddress } from './url-safety.ts'

const addresses: Array<[address: string, isPrivate: boolean]> = [
  ['127.0.0.1', true],
  ['127.255.0.9', true],
  ['10.0.0.1', true],
  ['172.16.0.1', true],
  ['172.31.255.255', true],
  ['172.32.0.1', false],
  ['192.168.1.1', true],
  ['169.254.169.254', true],
  ['100.64.0.1', true],
  ['0.0.0.0', true],
  ['224.0.0.1', true],
  ['255.255.255.255', true],
  ['8.8.8.8', false],
  ['93.184.216.34', false],
  ['::1', true],
  ['::', true],
  ['fe80::1', true],
  ['fd12:3456::1', true],
  ['ff02::1', true],
  ['::ffff:127.0.0.1', true],
  ['::ffff:10.0.0.1', true],
  ['::ffff:8.8.8.8', false],
  ['2001:db8::1', true],
  ['2606:4700:4700::1111', false],
  ['not-an-ip', true],
]
for (const [address, isPrivate] of addresses) {
  test(`${address} is ${isPrivate ? 'refused' : 'public'}`, () => assert.equal(isPrivateAddress(address), isPrivate))
}

const strict = { allowHttp: false, allowPrivate: false }
const lenient = { allowHttp: true, allowPrivate: true }
const urls: Array<[url: string, policy: typeof strict, accepted: boolean]> = [
  ['https://hooks.example/attentive', strict, true],
  ['https://8.8.8.8:8443/x?y=1', strict, true],
  ['http://hooks.example/x', strict, false],
  ['http://hooks.example/x', lenient, true],
  ['ftp://hooks.example/x', lenient, false],
  ['hooks.example/x', lenient, false],
  ['https://', lenient, false],
  ['https://127.0.0.1/x', strict, false],
  ['https://127.0.0.1/x', lenient, true],
  ['https://[::1]/x', strict, false],
  ['https://localhost/x', strict, false],
  ['https://api.localhost/x', strict, false],
  ['https://169.254.169.254/latest/meta-data', strict, false],
  ['https://[::ffff:a9fe:a9fe]/x', strict, false],
]
for (const [url, policy, accepted] of urls) {
  test(`${url} is ${accepted ? 'accepted' : 'refused'} ${policy === strict ? 'by default' : 'when http and private targets are allowed'}`, () => {
    const problem = checkUrlForm(url, policy)
    assert.equal(problem === undefined, accepted, problem)
    if (problem) assert.match(problem, /expected/)
  })
}
