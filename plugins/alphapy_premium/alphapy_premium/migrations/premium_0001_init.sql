-- depends: core_0001_init
-- premium_subs exactly as the schema reference gives it (columns, types, nullability,
-- index names), plus additions: CHECK constraints on tier, status and expiry, the time of
-- the last transfer (the cooldown of /premium_transfer; not personal data), updated_at,
-- a unique external id (webhooks find their subscription by it) and an index for expiry.
-- Access-control data only: no payment details, e-mail or other personal data.

CREATE TABLE premium_subs (
    id                      SERIAL PRIMARY KEY,
    user_id                 BIGINT NOT NULL,
    guild_id                BIGINT NOT NULL,
    tier                    TEXT NOT NULL
        CONSTRAINT premium_subs_tier_check CHECK (tier IN ('monthly', 'yearly', 'lifetime')),
    status                  TEXT NOT NULL
        CONSTRAINT premium_subs_status_check CHECK (status IN ('active', 'cancelled', 'expired')),
    stripe_subscription_id  TEXT
        CONSTRAINT premium_subs_external_id_check CHECK (length(stripe_subscription_id) BETWEEN 1 AND 200),
    expires_at              TIMESTAMPTZ,
    created_at              TIMESTAMPTZ DEFAULT now(),
    last_transferred_at     TIMESTAMPTZ,
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- lifetime never expires; monthly and yearly always do
    CONSTRAINT premium_subs_expiry_check CHECK ((tier = 'lifetime') = (expires_at IS NULL))
);

CREATE INDEX idx_premium_subs_user_guild ON premium_subs (user_id, guild_id);
CREATE INDEX idx_premium_subs_guild_status ON premium_subs (guild_id, status);
CREATE UNIQUE INDEX idx_premium_subs_one_active_per_user ON premium_subs (user_id) WHERE status = 'active';
CREATE UNIQUE INDEX idx_premium_subs_external_id ON premium_subs (stripe_subscription_id)
    WHERE stripe_subscription_id IS NOT NULL;
CREATE INDEX idx_premium_subs_expiring ON premium_subs (expires_at) WHERE status IN ('active', 'cancelled');

-- Billing webhook deliveries already applied (idempotency by event id). Event ids only:
-- rows older than the retention are purged; older deliveries fail the timestamp check anyway.
CREATE TABLE premium_webhook_events (
    event_id      TEXT PRIMARY KEY
        CONSTRAINT premium_webhook_events_id_check CHECK (length(event_id) BETWEEN 1 AND 200),
    event_type    TEXT NOT NULL,
    processed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX idx_premium_webhook_events_processed ON premium_webhook_events (processed_at);
