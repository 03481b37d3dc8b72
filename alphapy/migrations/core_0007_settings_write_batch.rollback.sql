DROP FUNCTION IF EXISTS alphapy_settings_write_batch(BIGINT[], TEXT[], TEXT[], JSONB, TEXT[], BIGINT[], TEXT);
