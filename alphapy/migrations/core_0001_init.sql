-- The core's tables, as the schema reference gives them: guild settings with their audit
-- trail, command usage tracking and health check history.
-- Columns, types, nullability, keys and index names follow the schema reference exactly;
-- defaults and CHECK constraints are additions.

CREATE TABLE bot_settings (
    guild_id    BIGINT NOT NULL,
    scope       TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       JSONB NOT NULL,
    value_type  TEXT,
    updated_by  BIGINT,
    updated_at  TIMESTAMPTZ DEFAULT now(),
    PRIMARY KEY (guild_id, scope, key)
);

CREATE TABLE settings_history (
    id           SERIAL PRIMARY KEY,
    guild_id     BIGINT NOT NULL,
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    old_value    JSONB,
    new_value    JSONB NOT NULL,
    value_type   TEXT,
    changed_by   BIGINT,
    changed_at   TIMESTAMPTZ DEFAULT now(),
    change_type  TEXT NOT NULL
        CONSTRAINT settings_history_change_type_check
        CHECK (change_type IN ('created', 'updated', 'deleted', 'rollback'))
);
CREATE INDEX idx_settings_history_guild_scope_key ON settings_history (guild_id, scope, key);
CREATE INDEX idx_settings_history_changed_at ON settings_history (changed_at);

CREATE TABLE audit_logs (
    id             SERIAL PRIMARY KEY,
    guild_id       BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    command_name   TEXT NOT NULL,
    command_type   TEXT NOT NULL
        CONSTRAINT audit_logs_command_type_check CHECK (command_type IN ('slash', 'text')),
    success        BOOLEAN,
    error_message  TEXT,
    created_at     TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX idx_audit_logs_guild_created ON audit_logs (guild_id, created_at);
CREATE INDEX idx_audit_logs_command ON audit_logs (command_name, created_at);

CREATE TABLE health_check_history (
    id                   SERIAL PRIMARY KEY,
    service              TEXT NOT NULL,
    version              TEXT NOT NULL,
    uptime_seconds       INTEGER NOT NULL,
    db_status            TEXT NOT NULL,
    guild_count          INTEGER,
    active_commands_24h  INTEGER,
    gpt_status           TEXT,
    database_pool_size   INTEGER,
    checked_at           TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX idx_health_check_history_checked_at ON health_check_history (checked_at DESC);
CREATE INDEX idx_health_check_history_service ON health_check_history (service, checked_at DESC);
