-- +goose Up
-- Staff-congress proposals, the rest of issue 13's handling: 协办 departments' opinions sent to
-- the 主办 before the reply; the optional 答复审核 (a session's reply_review: the committee
-- reviews a reply before the proposer sees it); 重点提案 (key_proposal, marked by the chair) and
-- 优秀提案 (excellent, chosen by the committee at the end of the session).

ALTER TABLE proposal_sessions ADD COLUMN reply_review INTEGER NOT NULL DEFAULT 0;

-- reply_review_note: why the committee sent the reply back (cleared by the next reply);
-- reply_submitted_at: when the 主办 last submitted its reply (replied_at is when the proposer
-- got it: the same instant without 答复审核).
ALTER TABLE proposals ADD COLUMN key_proposal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE proposals ADD COLUMN excellent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE proposals ADD COLUMN reply_review_note TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN reply_submitted_at DATETIME;

-- A 协办 department's opinion on a proposal in a round, sent to the 主办 (the newest replaces
-- the one before).
CREATE TABLE proposal_opinions (
    proposal_id   INTEGER NOT NULL REFERENCES proposals(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    round         INTEGER NOT NULL,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    text          TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    PRIMARY KEY (proposal_id, department_id, round)
);

-- +goose Down
DROP TABLE proposal_opinions;
ALTER TABLE proposals DROP COLUMN reply_submitted_at;
ALTER TABLE proposals DROP COLUMN reply_review_note;
ALTER TABLE proposals DROP COLUMN excellent;
ALTER TABLE proposals DROP COLUMN key_proposal;
ALTER TABLE proposal_sessions DROP COLUMN reply_review;
