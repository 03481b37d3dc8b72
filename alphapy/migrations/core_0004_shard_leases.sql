-- depends: core_0002_migration_records
-- Shards assigned through PostgreSQL (SHARD_IDS=auto): one row per shard of the bot,
-- held by one process until its lease expires. A process renews its rows every few
-- seconds; another process may take a row over only once expires_at has passed (by the
-- database's clock, so the machines' clocks do not matter). A clean stop deletes the
-- holder's rows at once.
CREATE TABLE shard_leases (
    shard_id     INTEGER NOT NULL,
    shard_count  INTEGER NOT NULL,
    holder       TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    claimed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    renewed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    latency_ms   DOUBLE PRECISION,
    guild_count  INTEGER,
    PRIMARY KEY (shard_count, shard_id),
    CONSTRAINT shard_leases_shard_in_range CHECK (shard_id >= 0 AND shard_id < shard_count)
);

-- Every process of the cluster, with or without shards: how many share the work decides
-- each one's fair share (ceil(shard_count / processes)).
CREATE TABLE shard_processes (
    holder       TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL
);

-- Discord allows one IDENTIFY per 5 s per bucket (shard_id % max_concurrency), for the
-- whole bot: the processes take turns by locking the bucket's row.
CREATE TABLE shard_identify_buckets (
    bucket         INTEGER PRIMARY KEY,
    last_identify  TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
