-- The Idempotency-Key header of Attune's write endpoints (src/http/idempotency.ts): per company and key, the
-- fingerprint of the first request and, once it finished, its answer, replayed for 24 hours.
create table idempotency_keys (
  company_id     bigint not null references companies (id) on delete cascade,
  key            text not null check (length(key) between 1 and 255),
  -- SHA-256 of method, path and body: the same key with another request is refused (422).
  fingerprint    bytea not null,
  -- Null while the first request runs (a repeat then gets 409); set with the answer when it ends.
  status_code    int,
  content_type   text,
  response_body  text,
  -- A request whose process died leaves its key in flight; after this moment a repeat may run it again.
  locked_until   timestamptz,
  created_at     timestamptz not null,
  expires_at     timestamptz not null,
  primary key (company_id, key)
);
create index idempotency_keys_expires on idempotency_keys (expires_at);
