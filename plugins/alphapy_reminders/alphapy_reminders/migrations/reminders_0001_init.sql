-- depends: core_0001_init
-- The reminders plugin: recurring reminders and one-off events read from embeds.
-- The columns of the schema reference come first, exactly as given; ours follow.

CREATE TABLE reminders (
    id                 SERIAL PRIMARY KEY,
    guild_id           BIGINT NOT NULL,
    name               TEXT NOT NULL,
    channel_id         BIGINT NOT NULL,
    time               TIME,                 -- trigger time (T-60 for one-off events), local wall clock
    call_time          TIME,                 -- the event's own time shown to members, local wall clock
    days               TEXT[],               -- '0' = Monday .. '6' = Sunday; empty for one-off events
    message            TEXT,
    created_by         BIGINT,
    origin_channel_id  BIGINT,
    origin_message_id  BIGINT,
    event_time         TIMESTAMPTZ,          -- one-off events only
    location           TEXT,
    last_sent_at       TIMESTAMPTZ,
    image_url          TEXT,                 -- an https image URL given by a premium creator

    -- scheduling: the next instant to fire (UTC), NULL when nothing is scheduled
    -- (paused, disabled, or a one-off already sent)
    next_fire_at       TIMESTAMPTZ,
    paused             BOOLEAN NOT NULL DEFAULT false,
    disabled_reason    TEXT,                 -- why delivery stopped (channel deleted, permission)
    claimed_at         TIMESTAMPTZ,          -- the delivery lease (see store.CLAIM)
    claimed_by         TEXT,                 -- which process holds it, for operators
    mention_role_id    BIGINT,               -- the role the creator chose to mention (guild id: @everyone)
    ack_message_id     BIGINT,               -- the bot's "event detected" reply to the origin message
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),

    CONSTRAINT reminders_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT reminders_message_length CHECK (char_length(message) <= 2000),
    CONSTRAINT reminders_location_length CHECK (char_length(location) <= 200),
    CONSTRAINT reminders_days_valid CHECK (days <@ ARRAY['0', '1', '2', '3', '4', '5', '6']::TEXT[]),
    CONSTRAINT reminders_kind CHECK (
        (event_time IS NULL AND cardinality(days) > 0 AND time IS NOT NULL)      -- recurring
        OR (event_time IS NOT NULL AND coalesce(cardinality(days), 0) = 0)      -- one-off
    ),
    CONSTRAINT reminders_image_url_https CHECK (image_url LIKE 'https://%')
);

-- named in the schema reference
CREATE INDEX idx_reminders_time ON reminders (time);
CREATE INDEX idx_reminders_event_time ON reminders (event_time);

-- ours: the due query and the lease expiry (both partial: only scheduled or claimed rows),
-- a guild's reminders in order, and one reminder per announcement message
CREATE INDEX idx_reminders_next_fire ON reminders (next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX idx_reminders_claimed ON reminders (claimed_at) WHERE claimed_at IS NOT NULL;
CREATE INDEX idx_reminders_guild ON reminders (guild_id, id);
CREATE UNIQUE INDEX idx_reminders_origin ON reminders (guild_id, origin_message_id)
    WHERE origin_message_id IS NOT NULL;
CREATE INDEX idx_reminders_created_by ON reminders (created_by) WHERE created_by IS NOT NULL;

-- An attachment's bytes, kept because Discord's CDN links expire; uploaded with each reminder.
CREATE TABLE reminder_images (
    reminder_id   INTEGER PRIMARY KEY REFERENCES reminders (id) ON DELETE CASCADE,
    guild_id      BIGINT NOT NULL,
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    data          BYTEA NOT NULL,
    CONSTRAINT reminder_images_size CHECK (octet_length(data) BETWEEN 1 AND 8388608),
    CONSTRAINT reminder_images_filename CHECK (char_length(filename) BETWEEN 1 AND 100)
);
