-- depends: premium_0001_init
-- Every change to premium_subs tells every process (NOTIFY alphapy_premium, payload
-- "user_id:guild_id", sent at commit), whoever wrote it: the bot, `alphapy premium`, the
-- billing webhook or the expiry task. Processes drop their cached answer for that user
-- at once instead of serving it until PREMIUM_CACHE_SECONDS run out.

CREATE FUNCTION premium_subs_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('alphapy_premium', OLD.user_id::text || ':' || OLD.guild_id::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('alphapy_premium', NEW.user_id::text || ':' || NEW.guild_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER premium_subs_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON premium_subs
    FOR EACH ROW EXECUTE FUNCTION premium_subs_notify_change();
