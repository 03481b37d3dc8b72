DROP TABLE IF EXISTS dashboard_usage_rollups;
DROP TABLE IF EXISTS dashboard_usage_hours;
