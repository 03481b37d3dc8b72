DROP TABLE IF EXISTS _alphapy_migration;
