-- depends: core_0002_migration_records
-- The overall status and each plugin's status with every health row, so that the
-- dashboard (which may run without the bot) can show them from the last report.
ALTER TABLE health_check_history
    ADD COLUMN status  TEXT,
    ADD COLUMN plugins JSONB;
