-- depends: core_0004_shard_leases
-- Closed hours of command usage, counted once from audit_logs for the dashboard's
-- overview (a cold 30-day page would otherwise count every row of the month). Written
-- by the dashboard when a page first needs them, read by every process; audit_logs'
-- own writes are untouched. dashboard_usage_rollups says which hours are complete.
CREATE TABLE dashboard_usage_hours (
    guild_id     BIGINT      NOT NULL,
    hour         TIMESTAMPTZ NOT NULL,
    command_name TEXT        NOT NULL,
    uses         INTEGER     NOT NULL,
    ok           INTEGER     NOT NULL,
    PRIMARY KEY (guild_id, hour, command_name)
);
CREATE TABLE dashboard_usage_rollups (
    guild_id     BIGINT      PRIMARY KEY,
    rolled_from  TIMESTAMPTZ NOT NULL,
    rolled_until TIMESTAMPTZ NOT NULL
);
