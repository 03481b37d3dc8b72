ALTER TABLE health_check_history
    DROP COLUMN IF EXISTS plugins,
    DROP COLUMN IF EXISTS status;
