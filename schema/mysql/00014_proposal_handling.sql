-- +goose Up
-- The handling of assigned proposals (issue 13): 重点提案, a department's 签收 (acknowledgement)
-- of its assignment, its 退回 of a mis-assigned proposal, and the 主办's extension requests.
-- Statistics count 退回 per department from proposal_returns and extensions from
-- proposal_extensions; nothing here is a figure.


-- 签收: when and by whom (a contact) a department acknowledged its assignment.
ALTER TABLE proposal_departments ADD COLUMN acknowledged_at DATETIME(6) NULL,
    ADD COLUMN acknowledged_by BIGINT NULL,
    ADD CONSTRAINT proposal_departments_ack_fk FOREIGN KEY (acknowledged_by) REFERENCES members(id);

-- 退回: a department (its role at the time: host or helper) returned a mis-assigned proposal
-- with a reason; the proposal went back to the committee to be assigned again.
CREATE TABLE proposal_returns (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    proposal_id   BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    role          VARCHAR(16) NOT NULL,
    round         INT NOT NULL,
    member_id     BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    assigned_at   DATETIME(6) NOT NULL,
    returned_at   DATETIME(6) NOT NULL,
    KEY proposal_returns_proposal (proposal_id),
    KEY proposal_returns_department (department_id),
    CONSTRAINT proposal_returns_proposal_fk FOREIGN KEY (proposal_id) REFERENCES proposals(id),
    CONSTRAINT proposal_returns_department_fk FOREIGN KEY (department_id) REFERENCES departments(id),
    CONSTRAINT proposal_returns_member_fk FOREIGN KEY (member_id) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An extension of the reply deadline asked by the 主办 (status pending, approved, refused).
CREATE TABLE proposal_extensions (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    proposal_id   BIGINT NOT NULL,
    department_id BIGINT NOT NULL,
    round         INT NOT NULL,
    requested_by  BIGINT NOT NULL,
    old_due       DATE NOT NULL,
    requested_due DATE NOT NULL,
    reason        TEXT NOT NULL,
    status        VARCHAR(16) NOT NULL DEFAULT 'pending',
    decided_by    BIGINT NULL,
    decision_note TEXT NOT NULL,
    decided_at    DATETIME(6) NULL,
    created_at    DATETIME(6) NOT NULL,
    KEY proposal_extensions_proposal (proposal_id),
    KEY proposal_extensions_department (department_id),
    CONSTRAINT proposal_extensions_proposal_fk FOREIGN KEY (proposal_id) REFERENCES proposals(id),
    CONSTRAINT proposal_extensions_department_fk FOREIGN KEY (department_id) REFERENCES departments(id),
    CONSTRAINT proposal_extensions_requester_fk FOREIGN KEY (requested_by) REFERENCES members(id),
    CONSTRAINT proposal_extensions_decider_fk FOREIGN KEY (decided_by) REFERENCES members(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE proposal_extensions;
DROP TABLE proposal_returns;
ALTER TABLE proposal_departments DROP FOREIGN KEY proposal_departments_ack_fk;
ALTER TABLE proposal_departments DROP COLUMN acknowledged_by, DROP COLUMN acknowledged_at;
