-- The dispatcher now counts requests in flight per URL in memory (src/features/webhooks/dispatcher.ts), so the
-- index of leased deliveries has no reader left. Without it, a claim (attempts, locked_until) changes no indexed
-- column, and with room left on each page it can be a HOT update: no new entries in the five remaining indexes
-- for every claim (BENCHMARKS.md "webhooks").
drop index webhook_deliveries_leased;
alter table webhook_deliveries set (fillfactor = 70);
