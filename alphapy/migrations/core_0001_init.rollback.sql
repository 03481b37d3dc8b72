DROP TABLE IF EXISTS health_check_history;
DROP TABLE IF EXISTS audit_logs;
DROP TABLE IF EXISTS settings_history;
DROP TABLE IF EXISTS bot_settings;
