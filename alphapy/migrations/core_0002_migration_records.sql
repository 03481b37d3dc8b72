-- depends: core_0001_init
-- What the migration runner keeps of every migration it applies, written in the same
-- transaction as the migration: its owner, the migrations it depends on and the
-- statements that undo it. A plugin's files leave with `pip uninstall`; this row stays,
-- so `alphapy migrate --list` still shows its migrations and `--rollback` can still
-- remove its tables. A NULL rollback_sql means the statements are not known (a rollback
-- written as Python code).
CREATE TABLE _alphapy_migration (
    migration_id  TEXT PRIMARY KEY,
    owner         TEXT NOT NULL,
    depends       TEXT[] NOT NULL DEFAULT '{}',
    rollback_sql  TEXT[],
    position      BIGINT GENERATED ALWAYS AS IDENTITY,
    recorded_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
