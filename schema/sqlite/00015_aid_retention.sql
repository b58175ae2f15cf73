-- +goose Up
-- Aid requests in the retention purge (privacy.purge, store.RetentionRule "aid_cases"): when a
-- closed case's materials (files, the sealed form text and reasons) were erased, so the purge
-- does not count a case twice and its card says so. closed_at is what the purge looks up.
ALTER TABLE aid_cases ADD COLUMN materials_purged_at DATETIME NULL;
CREATE INDEX aid_cases_closed ON aid_cases(closed_at);

-- +goose Down
DROP INDEX aid_cases_closed;
ALTER TABLE aid_cases DROP COLUMN materials_purged_at;
