DROP TABLE premium_webhook_events;
DROP TABLE premium_subs;
