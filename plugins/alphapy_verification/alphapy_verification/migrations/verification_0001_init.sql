-- depends: core_0001_init

-- The reference's columns exactly, then what the plugin adds to run the flow.
CREATE TABLE verification_tickets (
    id                      SERIAL PRIMARY KEY,
    guild_id                BIGINT NOT NULL,
    user_id                 BIGINT NOT NULL,
    channel_id              BIGINT NOT NULL,
    status                  TEXT NOT NULL DEFAULT 'pending',
    ai_can_verify           BOOLEAN,
    ai_needs_manual_review  BOOLEAN,
    ai_reason               TEXT,                      -- sanitised before it is written
    created_at              TIMESTAMPTZ DEFAULT NOW(),
    resolved_at             TIMESTAMPTZ,
    -- additions
    opened_by               BIGINT,                    -- the member, or staff opening one for them
    review_cause            TEXT,                      -- why it went to staff: a code, never free text
    duplicate_of_user       BIGINT,                    -- another member sent a near-identical screenshot
    decision                TEXT,                      -- auto, approved, rejected, cancelled
    decided_by              BIGINT,                    -- staff who decided (NULL: automatic)
    staff_reason            TEXT,                      -- sanitised before it is written
    evidence_message_ids    BIGINT[] NOT NULL DEFAULT '{}',  -- screenshots to delete once decided
    review_message_id       BIGINT,                    -- the message with Approve / Reject
    processing_since        TIMESTAMPTZ,               -- a screenshot is being checked (a lease)
    close_at                TIMESTAMPTZ,               -- when the private channel is deleted
    close_claimed_at        TIMESTAMPTZ,               -- the scheduler's lease on that deletion
    closed_at               TIMESTAMPTZ,               -- the channel is gone
    CONSTRAINT verification_tickets_status_check
        CHECK (status IN ('pending', 'verified', 'manual_review', 'error', 'closed_manual')),
    CONSTRAINT verification_tickets_decision_check
        CHECK (decision IS NULL OR decision IN ('auto', 'approved', 'rejected', 'cancelled')),
    CONSTRAINT verification_tickets_resolved_check
        CHECK ((status IN ('verified', 'closed_manual')) = (resolved_at IS NOT NULL))
);
CREATE INDEX idx_verification_tickets_guild_status ON verification_tickets (guild_id, status);
CREATE INDEX idx_verification_tickets_channel_id ON verification_tickets (channel_id);
-- One open verification per member, enforced by the database (two clicks race here).
CREATE UNIQUE INDEX verification_tickets_one_open ON verification_tickets (guild_id, user_id)
    WHERE status IN ('pending', 'manual_review', 'error');
CREATE INDEX verification_tickets_member ON verification_tickets (guild_id, user_id, created_at);
CREATE INDEX verification_tickets_user ON verification_tickets (user_id);
CREATE INDEX verification_tickets_close_due ON verification_tickets (close_at)
    WHERE close_at IS NOT NULL AND closed_at IS NULL;

-- Perceptual hashes of screenshots (never the images): a 256-bit difference hash each.
CREATE TABLE verification_image_hashes (
    id          BIGSERIAL PRIMARY KEY,
    guild_id    BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    ticket_id   INTEGER REFERENCES verification_tickets (id) ON DELETE SET NULL,
    dhash       BIT(256) NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX verification_image_hashes_guild ON verification_image_hashes (guild_id);
CREATE INDEX verification_image_hashes_user ON verification_image_hashes (user_id);
