import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts'

/** A directory of its own under the system temp directory, open to other users (see below). */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  // As root the embedded PostgreSQL runs as an unprivileged user, which must be able to reach its data here.
  await fs.chmod(dir, 0o755)
  return dir
}

/**
 * The "external server" case: a throwaway PostgreSQL cluster from the same binaries, started here as its own
 * server process and reached over TCP through its URL, just as an operator points DATABASE_URL at a server.
 * Durable settings (fsync on), as a production server has.
 */
export async function startExternalPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({ dataDir, database: 'attune_bench' })
}
