-- The durable job queue (src/queue/): the outbox every feature enqueues into inside its own transaction. A
-- completed job is deleted in the transaction that ran it, so the table holds only work still to do and the
-- dead jobs kept for inspection (dead_at set). A job is leased by setting locked_until/locked_by; attempts
-- counts claims, including the one that is running.
create table jobs (
  id            bigint generated always as identity primary key,
  -- null: a system job that belongs to no company.
  company_id    bigint references companies (id) on delete cascade,
  kind          text not null check (length(kind) between 1 and 200),
  payload       jsonb not null default '{}'::jsonb,
  -- Jobs sharing a queue_key run one at a time, in id order (src/queue/claim.ts).
  queue_key     text check (length(queue_key) <= 500),
  run_at        timestamptz not null default now(),
  attempts      int not null default 0 check (attempts >= 0),
  -- The default is also DEFAULT_MAX_ATTEMPTS in src/queue/enqueue.ts.
  max_attempts  int not null default 10 check (max_attempts between 1 and 1000),
  locked_until  timestamptz,
  locked_by     text,
  last_error    text,
  dead_at       timestamptz,
  created_at    timestamptz not null default now()
);

-- The claim scans this in (run_at, id) order and stops at its LIMIT, so it reads only due rows, however many
-- jobs are scheduled for later or dead. locked_until and attempts are left out of the key and predicate on
-- purpose: the claim's UPDATE then changes no indexed column and can be a HOT update.
create index jobs_due on jobs (run_at, id) where dead_at is null;

-- "Is this job the oldest live job of its key?" is a min(id) per key: one index probe with this index.
create index jobs_queue_key on jobs (queue_key, id) where dead_at is null and queue_key is not null;

-- Deleting a company cascades here; without this it would scan the whole table. System jobs are left out.
create index jobs_company on jobs (company_id) where company_id is not null;
