-- Current consent: one row per user × channel × type (SPEC §3). `address` is what the consent covers (the phone
-- in E.164, the email as given): consent is given for a number, so a profile holding two numbers cannot text
-- the one that never agreed.
create table consents (
  company_id         bigint not null references companies (id) on delete cascade,
  user_id            bigint not null references users (id),
  channel            text not null check (channel in ('TEXT', 'EMAIL')),
  type               text not null check (type in ('MARKETING', 'TRANSACTIONAL')),
  state              text not null check (state in ('PENDING', 'SUBSCRIBED', 'UNSUBSCRIBED')),
  address            text not null,
  sign_up_source_id  text,
  created_at         timestamptz not null,
  changed_at         timestamptz not null,
  primary key (user_id, channel, type)
);
create index consents_company on consents (company_id, channel, type, state);

-- The consent ledger: every change of every consent, never updated or deleted (COMPLIANCE.md §1.9). The
-- current state of a (user, channel, type) is the new_state of its last row; replaying the rows rebuilds it.
create table consent_ledger (
  id                  bigint generated always as identity primary key,
  company_id          bigint not null references companies (id),
  user_id             bigint not null references users (id),
  channel             text not null check (channel in ('TEXT', 'EMAIL')),
  type                text not null check (type in ('MARKETING', 'TRANSACTIONAL')),
  -- The number or address the change concerns, normalised, and as the request wrote it ("7707651750").
  address             text not null,
  address_as_given    text,
  previous_state      text check (previous_state in ('PENDING', 'SUBSCRIBED', 'UNSUBSCRIBED')),
  new_state           text not null check (new_state in ('PENDING', 'SUBSCRIBED', 'UNSUBSCRIBED')),
  -- What happened, in words an auditor reads: subscribe, double_opt_in_request, confirm, opt_in, unsubscribe,
  -- revoke_all, suppress, merge.
  reason              text not null,
  -- Who acted: an API key (its id), a keyword the subscriber sent (the text), an operator, an import, a merge.
  actor_kind          text not null check (actor_kind in ('api_key', 'keyword', 'operator', 'import', 'merge')),
  actor_id            text,
  sign_up_source_id   text,
  disclosure_version  int,
  ip                  inet,
  user_agent          text check (length(user_agent) <= 1000),
  -- The message whose reply confirmed the change (double opt-in "Y", START, STOP).
  message_id          text,
  occurred_at         timestamptz not null,
  -- The database's own clock, next to the application's: evidence that does not rest on one clock.
  recorded_at         timestamptz not null default now()
);
create index consent_ledger_user on consent_ledger (user_id, id);
-- "Did this number ever opt out?" decides whether an API sign-up must go through double opt-in.
create index consent_ledger_opt_outs on consent_ledger (company_id, channel, address) where new_state = 'UNSUBSCRIBED';

create trigger consent_ledger_append_only before update or delete on consent_ledger
  for each row execute function attune_append_only();
create trigger consent_ledger_no_truncate before truncate on consent_ledger
  for each statement execute function attune_append_only();
