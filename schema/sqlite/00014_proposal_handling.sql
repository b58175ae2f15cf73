-- +goose Up
-- The handling of assigned proposals (issue 13): 重点提案, a department's 签收 (acknowledgement)
-- of its assignment, its 退回 of a mis-assigned proposal, and the 主办's extension requests.
-- Statistics count 退回 per department from proposal_returns and extensions from
-- proposal_extensions; nothing here is a figure.


-- 签收: when and by whom (a contact) a department acknowledged its assignment.
ALTER TABLE proposal_departments ADD COLUMN acknowledged_at DATETIME;
ALTER TABLE proposal_departments ADD COLUMN acknowledged_by INTEGER REFERENCES members(id);

-- 退回: a department (its role at the time: host or helper) returned a mis-assigned proposal
-- with a reason; the proposal went back to the committee to be assigned again.
CREATE TABLE proposal_returns (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id   INTEGER NOT NULL REFERENCES proposals(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    role          TEXT NOT NULL,
    round         INTEGER NOT NULL,
    member_id     INTEGER NOT NULL REFERENCES members(id),
    reason        TEXT NOT NULL,
    assigned_at   DATETIME NOT NULL,
    returned_at   DATETIME NOT NULL
);
CREATE INDEX proposal_returns_proposal ON proposal_returns(proposal_id);
CREATE INDEX proposal_returns_department ON proposal_returns(department_id);

-- An extension of the reply deadline asked by the 主办 (status pending, approved, refused).
CREATE TABLE proposal_extensions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    proposal_id   INTEGER NOT NULL REFERENCES proposals(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    round         INTEGER NOT NULL,
    requested_by  INTEGER NOT NULL REFERENCES members(id),
    old_due       DATE NOT NULL,
    requested_due DATE NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    decided_by    INTEGER REFERENCES members(id),
    decision_note TEXT NOT NULL DEFAULT '',
    decided_at    DATETIME,
    created_at    DATETIME NOT NULL
);
CREATE INDEX proposal_extensions_proposal ON proposal_extensions(proposal_id);
CREATE INDEX proposal_extensions_department ON proposal_extensions(department_id);

-- +goose Down
DROP TABLE proposal_extensions;
DROP TABLE proposal_returns;
ALTER TABLE proposal_departments DROP COLUMN acknowledged_by;
ALTER TABLE proposal_departments DROP COLUMN acknowledged_at;
