-- depends: core_0005_dashboard_usage
-- A settings change in one round trip: the lock, the change, its history row and the
-- NOTIFY were four (BEGIN, lock, statement, COMMIT). Called as one statement, each
-- function runs in its own implicit transaction: the advisory lock on the setting is
-- held until its commit, so concurrent writers of one setting queue and each history
-- row records the value it really replaced; every statement inside reads a fresh
-- snapshot (PL/pgSQL, VOLATILE), so the old value read after the lock is the latest
-- committed one. The NOTIFY goes out on commit only. Validation and permission checks
-- stay in Python, before the call. The lock key is the one alphapy.settings.store used.
CREATE FUNCTION alphapy_settings_write(
    p_guild_id BIGINT, p_scope TEXT, p_key TEXT, p_value JSONB, p_value_type TEXT,
    p_changed_by BIGINT, p_change_type TEXT, p_channel TEXT)
RETURNS TABLE (history_id INT, previous JSONB, kind TEXT, at TIMESTAMPTZ)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_old JSONB;
    v_existed BOOLEAN;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_guild_id::text || ':' || p_scope || ':' || p_key, 7));
    SELECT s.value INTO v_old FROM bot_settings s
    WHERE s.guild_id = p_guild_id AND s.scope = p_scope AND s.key = p_key;
    v_existed := FOUND;
    INSERT INTO bot_settings AS s (guild_id, scope, key, value, value_type, updated_by, updated_at)
    VALUES (p_guild_id, p_scope, p_key, p_value, p_value_type, p_changed_by, now())
    ON CONFLICT (guild_id, scope, key) DO UPDATE
        SET value = EXCLUDED.value, value_type = EXCLUDED.value_type,
            updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at;
    RETURN QUERY
    INSERT INTO settings_history AS h
        (guild_id, scope, key, old_value, new_value, value_type, changed_by, changed_at, change_type)
    VALUES (p_guild_id, p_scope, p_key, v_old, p_value, p_value_type, p_changed_by, now(),
            coalesce(p_change_type, CASE WHEN v_existed THEN 'updated' ELSE 'created' END))
    RETURNING h.id, h.old_value, h.change_type, h.changed_at;
    PERFORM pg_notify(p_channel, p_guild_id::text || ':' || p_scope || ':' || p_key);
END
$$;

CREATE FUNCTION alphapy_settings_delete(
    p_guild_id BIGINT, p_scope TEXT, p_key TEXT, p_changed_by BIGINT, p_change_type TEXT, p_channel TEXT)
RETURNS TABLE (history_id INT, previous JSONB, kind TEXT, at TIMESTAMPTZ)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_old JSONB;
    v_old_type TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_guild_id::text || ':' || p_scope || ':' || p_key, 7));
    DELETE FROM bot_settings s WHERE s.guild_id = p_guild_id AND s.scope = p_scope AND s.key = p_key
    RETURNING s.value, s.value_type INTO v_old, v_old_type;
    IF NOT FOUND THEN
        RETURN;  -- nothing stored: no history row, no NOTIFY
    END IF;
    RETURN QUERY
    INSERT INTO settings_history AS h
        (guild_id, scope, key, old_value, new_value, value_type, changed_by, changed_at, change_type)
    VALUES (p_guild_id, p_scope, p_key, v_old, 'null'::jsonb, v_old_type, p_changed_by, now(), p_change_type)
    RETURNING h.id, h.old_value, h.change_type, h.changed_at;
    PERFORM pg_notify(p_channel, p_guild_id::text || ':' || p_scope || ':' || p_key);
END
$$;

-- Concurrent writes of one process, sent together: one round trip and one commit (one
-- WAL flush, one turn of the NOTIFY queue lock, which serialises notifying commits) for
-- all of them. Each entry is applied in the order given, exactly as a call of
-- alphapy_settings_write would, so every history row names the value it replaced, also
-- for two entries of one setting. All the settings' locks are taken first, in one fixed
-- order, so that two batches of other processes cannot deadlock. p_values is one JSONB
-- array (entry i is p_values->(i - 1)).
CREATE FUNCTION alphapy_settings_write_many(
    p_guild_ids BIGINT[], p_scopes TEXT[], p_keys TEXT[], p_values JSONB, p_value_types TEXT[],
    p_changed_by BIGINT[], p_channel TEXT)
RETURNS TABLE (history_id INT, previous JSONB, kind TEXT, at TIMESTAMPTZ)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(locks.k)
    FROM (SELECT DISTINCT hashtextextended(u.g::text || ':' || u.s || ':' || u.n, 7) AS k
          FROM unnest(p_guild_ids, p_scopes, p_keys) AS u(g, s, n)
          ORDER BY 1) AS locks;
    FOR i IN 1 .. cardinality(p_guild_ids) LOOP
        RETURN QUERY SELECT * FROM alphapy_settings_write(
            p_guild_ids[i], p_scopes[i], p_keys[i], p_values -> (i - 1), p_value_types[i], p_changed_by[i],
            NULL, p_channel);
    END LOOP;
END
$$;
