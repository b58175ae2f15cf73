-- +goose Up
-- Order per receiver (issue 15): a receiver's messages go out one at a time, in the order of
-- due_at (when the message was first due: its scheduled time, or when it was queued), then
-- id. The claim takes a pending message only when no pending message of the same receiver
-- comes before it, so a message waiting for a retry holds back that receiver's later ones
-- (and no one else's), on every replica. receiver is what the worker paces on: receive_id,
-- or the target message of a reply or patch ('' for a batch).
ALTER TABLE outbox ADD COLUMN receiver VARCHAR(191) NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN due_at DATETIME(6) NULL;
-- Rows queued before: never attempted, they were due when they were scheduled; attempted,
-- when they were queued.
UPDATE outbox SET receiver = CASE WHEN receive_id <> '' THEN receive_id ELSE target_message_id END,
    due_at = CASE WHEN attempts = 0 THEN next_attempt_at ELSE created_at END;
CREATE INDEX outbox_receiver ON outbox(receiver, status, due_at);
-- The claim reads due messages in (next_attempt_at, created_at) order and stops at its limit,
-- instead of sorting every due message by created_at (and, on MySQL, locking them all).
DROP INDEX outbox_due ON outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at, created_at);

-- +goose Down
DROP INDEX outbox_due ON outbox;
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
DROP INDEX outbox_receiver ON outbox;
ALTER TABLE outbox DROP COLUMN due_at;
ALTER TABLE outbox DROP COLUMN receiver;
