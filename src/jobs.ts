import type { Deps } from './deps.ts'
import { MAINTENANCE_JOB, maintenanceJob } from './features/events/maintenance.job.ts'
import { expireReceiptsJob, RECEIPT_EXPIRY_JOB } from './features/messages/expire.job.ts'
import { OPT_IN_REQUEST_JOB, optInRequestJob } from './features/messages/opt-in-request.job.ts'
import type { JobHandler } from './queue/runner.ts'

/** The job map: every job kind and its handler, on one screen. Features add their kinds here. */
export function jobHandlers(_deps: Deps): Record<string, JobHandler> {
  return {
    [OPT_IN_REQUEST_JOB]: optInRequestJob,
    [MAINTENANCE_JOB]: maintenanceJob,
    [RECEIPT_EXPIRY_JOB]: expireReceiptsJob,
  }
}
