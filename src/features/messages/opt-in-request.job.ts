import type { JobHandler } from '../../queue/runner.ts'
import { lockProfileConsents } from '../subscriptions/consent.service.ts'
import type { Channel } from '../subscriptions/consents.schema.ts'
import { renderSourceText } from './inbound.source-texts.ts'
import { queueMessage } from './messages.service.ts'

/** The job kind the subscribers feature enqueues when a double opt-in starts (sign-up.service.ts). */
export const OPT_IN_REQUEST_JOB = 'message.opt_in_request'

/** Its payload: the profile asked, the source whose "Reply Y" prompt to send, and the channel. */
export interface OptInRequestPayload {
  userId: number
  signUpSourceId: string
  channel: Channel
}

/**
 * Sends the "Reply Y" prompt of a double opt-in (COMPLIANCE.md §1.4): renders the source's `optInRequestText`
 * (Liquid) and queues it as a compliance message, in the job's transaction, so the prompt is queued exactly once.
 * Nothing is sent when the consent is no longer waiting (confirmed, or ended by a STOP, in the meantime). An
 * EMAIL double opt-in is not a text: the email channel sends its own confirmation, so the job ends here.
 */
export const optInRequestJob: JobHandler = async (job, { tx, now }) => {
  const { userId, signUpSourceId, channel } = job.payload as OptInRequestPayload
  const companyId = job.companyId
  if (channel !== 'TEXT' || companyId === null) return
  const { userId: live, rows } = await lockProfileConsents(tx, companyId, userId)
  const waiting = rows.filter(
    (row) => row.channel === 'TEXT' && row.state === 'PENDING' && row.sign_up_source_id === signUpSourceId,
  )
  for (const address of new Set(waiting.map((row) => row.address))) {
    const rendered = await renderSourceText(tx, companyId, signUpSourceId, 'opt_in_request_text', {
      userId: live,
      phone: address,
    })
    if (!rendered) continue
    await queueMessage(
      tx,
      {
        companyId,
        userId: live,
        channel: 'TEXT',
        type: rendered.type,
        origin: 'opt_in_request',
        to: address,
        body: rendered.body,
        compliance: true,
      },
      now,
    )
  }
}
