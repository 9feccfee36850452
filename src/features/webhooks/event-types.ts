/**
 * Webhook event names a webhook may subscribe to (ATTENTIVE_API.md §4.1), case-sensitive. `sms.delivered`,
 * `sms.failed` and `custom_event` are Attune extensions, sent only to webhooks that list them.
 */
export const EVENT_TYPES = [
  'sms.subscribed',
  'email.subscribed',
  'sms.unsubscribed',
  'email.unsubscribed',
  'sms.sent',
  'email.sent',
  'sms.message_link_click',
  'email.message_link_click',
  'email.opened',
  'custom_attribute.set',
  'sms.inbound_message',
  'sms.delivered',
  'sms.failed',
  'custom_event',
  'phone.subscribed',
  'phone.unsubscribed',
] as const

/** A webhook event name. */
export type EventType = (typeof EVENT_TYPES)[number]

/** Older names that fire on a newer event; the payload's `type` echoes the registered (older) name. */
export const EVENT_ALIASES: Readonly<Record<string, EventType>> = {
  'phone.subscribed': 'sms.subscribed',
  'phone.unsubscribed': 'sms.unsubscribed',
}

/** Whether `name` is a webhook event name. */
export function isEventType(name: string): name is EventType {
  return (EVENT_TYPES as readonly string[]).includes(name)
}

/** The domain event type a registered name fires on: itself, or the event an alias stands for. */
export function firesOn(name: EventType): EventType {
  return EVENT_ALIASES[name] ?? name
}
