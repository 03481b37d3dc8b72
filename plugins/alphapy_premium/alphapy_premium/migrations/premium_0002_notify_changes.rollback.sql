DROP TRIGGER premium_subs_notify_change ON premium_subs;
DROP FUNCTION premium_subs_notify_change();
