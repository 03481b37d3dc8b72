-- depends: core_0001_init
-- The three tables of the schema reference, column for column, plus what the plugin
-- needs on top (marked "added"). Nothing of the reference is dropped or retyped.

CREATE TABLE support_tickets (
    id            SERIAL PRIMARY KEY,
    guild_id      BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,                 -- 0 once the member asked to be forgotten
    username      TEXT,
    description   TEXT NOT NULL,
    status        TEXT DEFAULT 'open'
                  CHECK (status IN ('open', 'claimed', 'waiting_for_user', 'escalated', 'closed', 'archived')),
    created_at    TIMESTAMPTZ DEFAULT now(),
    channel_id    BIGINT,
    claimed_by    BIGINT,
    claimed_at    TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ DEFAULT now(),
    escalated_to  BIGINT,
    archived_at   TIMESTAMPTZ,
    archived_by   BIGINT,
    -- added
    message_id    BIGINT,                          -- the control message (embed and buttons)
    escalated_at  TIMESTAMPTZ,
    escalated_by  BIGINT,
    closed_at     TIMESTAMPTZ,
    closed_by     BIGINT,                          -- NULL: closed by the bot (member left, auto-close)
    close_reason  TEXT,
    autoclose_at  TIMESTAMPTZ                      -- while waiting_for_user, when auto-close is on
);

CREATE INDEX idx_support_tickets_user_id ON support_tickets (user_id);
CREATE INDEX idx_support_tickets_status ON support_tickets (status);
-- Unique: a channel belongs to one ticket at most (NULLs, tickets being opened, are distinct).
CREATE UNIQUE INDEX idx_support_tickets_channel_id ON support_tickets (channel_id);
-- added: metrics, lists and cooldowns read a guild's tickets by time; the INCLUDE lets the
-- metrics snapshot run as an index-only scan.
CREATE INDEX idx_support_tickets_guild_created ON support_tickets (guild_id, created_at)
    INCLUDE (status, closed_at);
-- added: the auto-close due-work loop.
CREATE INDEX idx_support_tickets_autoclose ON support_tickets (autoclose_at)
    WHERE status = 'waiting_for_user';

CREATE TABLE ticket_summaries (
    id              SERIAL PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES support_tickets (id) ON DELETE CASCADE,
    summary         TEXT NOT NULL,
    similarity_key  TEXT,
    created_at      TIMESTAMPTZ DEFAULT now(),
    -- added: the ticket's guild, so that guild-scoped reads need no join
    guild_id        BIGINT NOT NULL
);
-- added: one summary per ticket; similar tickets are found by their key.
CREATE UNIQUE INDEX idx_ticket_summaries_ticket_id ON ticket_summaries (ticket_id);
CREATE INDEX idx_ticket_summaries_guild_key ON ticket_summaries (guild_id, similarity_key);

CREATE TABLE ticket_metrics (
    id                  BIGSERIAL PRIMARY KEY,
    snapshot            JSONB,
    scope               TEXT CHECK (scope IN ('7d', '30d', 'all')),
    counts              JSONB,
    average_cycle_time  BIGINT,
    triggered_by        BIGINT,
    created_at          TIMESTAMPTZ DEFAULT now(),
    -- added: the guild the snapshot is about; NULL for an operator's snapshot of all guilds
    guild_id            BIGINT
);
CREATE INDEX idx_ticket_metrics_guild_created ON ticket_metrics (guild_id, created_at);
