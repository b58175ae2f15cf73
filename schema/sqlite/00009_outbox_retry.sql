-- +goose Up
-- Transient delivery failures are retried for a time (outbox.retry_for), not a number of
-- attempts: failing_since is when the message's current run of failures began (NULL: it has
-- not failed).
ALTER TABLE outbox ADD COLUMN failing_since DATETIME;

-- +goose Down
ALTER TABLE outbox DROP COLUMN failing_since;
