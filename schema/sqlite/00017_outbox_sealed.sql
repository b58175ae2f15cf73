-- +goose Up
-- A sensitive message (a card marked sensitive, a file when a data key is configured) is
-- stored sealed with the data key, bound to its id; its content is dropped once sent.
ALTER TABLE outbox ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbox DROP COLUMN sealed;
