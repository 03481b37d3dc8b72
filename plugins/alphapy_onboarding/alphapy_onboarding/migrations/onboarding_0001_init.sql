-- depends: core_0001_init
--
-- The three reference tables exactly as shared/reference/database-schema.txt gives them
-- (their TIMESTAMP columns hold UTC wall-clock time), plus the plugin's own tables for
-- what the reference does not cover: progress of a run in flight, the Start panel, and
-- role problems already reported to the host.

-- A member's finished onboarding: one row per (guild, member), replaced by a redo.
-- responses: {"<question id>": answer, "<question id>.<trigger>": follow-up answer,
--             "personalized_opt_in": "full|events_only|no", "preferred_language": "en|nl|other: <text>"}
-- timestamp: when the run finished (UTC).
CREATE TABLE onboarding (
    guild_id   BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    responses  JSONB,
    timestamp  TIMESTAMP,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX idx_onboarding_user_id ON onboarding (user_id);

CREATE TABLE guild_onboarding_questions (
    id             SERIAL PRIMARY KEY,
    guild_id       BIGINT NOT NULL,
    step_order     INTEGER NOT NULL,
    question       TEXT NOT NULL,
    question_type  TEXT NOT NULL CHECK (question_type IN ('select', 'multiselect', 'text', 'email')),
    options        JSONB,            -- select/multiselect: [{"label", "value", "description"?, "role_id"?}]
    followup       JSONB,            -- [{"when": "<option value>|*", "question", "type", ...}]
    required       BOOLEAN DEFAULT TRUE,
    enabled        BOOLEAN DEFAULT TRUE,
    created_at     TIMESTAMP DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at     TIMESTAMP DEFAULT (now() AT TIME ZONE 'utc'),
    -- added: the bounds of a multiselect and of a text answer
    min_values     INTEGER CHECK (min_values BETWEEN 1 AND 25),
    max_values     INTEGER CHECK (max_values BETWEEN 1 AND 25),
    max_length     INTEGER CHECK (max_length BETWEEN 1 AND 4000),
    CONSTRAINT guild_onboarding_questions_guild_step_order_key UNIQUE (guild_id, step_order)
);

CREATE TABLE guild_rules (
    id             SERIAL PRIMARY KEY,
    guild_id       BIGINT NOT NULL,
    rule_order     INTEGER NOT NULL,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL,
    thumbnail_url  TEXT,
    image_url      TEXT,
    enabled        BOOLEAN DEFAULT TRUE,
    created_at     TIMESTAMP DEFAULT (now() AT TIME ZONE 'utc'),
    updated_at     TIMESTAMP DEFAULT (now() AT TIME ZONE 'utc'),
    CONSTRAINT guild_rules_guild_rule_order_key UNIQUE (guild_id, rule_order)
);

-- A run in flight. The current step is not stored: it is the first step of the guild's
-- flow (as it is now) without an answer here, so a host's edit never strands anyone.
CREATE TABLE onboarding_progress (
    guild_id           BIGINT NOT NULL,
    user_id            BIGINT NOT NULL,
    answers            JSONB NOT NULL DEFAULT '{}'::jsonb,   -- same keys as onboarding.responses
    rules_accepted_at  TIMESTAMPTZ,
    started_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX idx_onboarding_progress_user_id ON onboarding_progress (user_id);
CREATE INDEX idx_onboarding_progress_updated_at ON onboarding_progress (updated_at);

-- The Start panel the bot keeps in onboarding.channel.
CREATE TABLE onboarding_panels (
    guild_id    BIGINT PRIMARY KEY,
    channel_id  BIGINT NOT NULL,
    message_id  BIGINT NOT NULL,
    posted_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Roles the bot could not grant, reported once to onboarding.log_channel; the row goes
-- when a grant of that role works again, so a new failure is reported anew.
CREATE TABLE onboarding_role_problems (
    guild_id     BIGINT NOT NULL,
    role_id      BIGINT NOT NULL,
    problem      TEXT NOT NULL,
    reported_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, role_id)
);
