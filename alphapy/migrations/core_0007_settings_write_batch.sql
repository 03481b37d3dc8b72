-- depends: core_0006_settings_write
-- Concurrent writes of one process, applied as a set: alphapy_settings_write_many
-- (core_0006) called alphapy_settings_write once per entry, five statements and one
-- NOTIFY each; with eight writers the server spent most of a batch in those calls while
-- the next batch waited. Here a batch costs four statements whatever its size:
--   1. the advisory locks of its settings, in one fixed order (two processes' batches
--      cannot deadlock), the same keys as alphapy_settings_write, so single writes and
--      batches of any process still queue on each other;
--   2. one statement, with a fresh snapshot taken after the locks (PL/pgSQL, VOLATILE),
--      so the stored values it reads are the latest committed ones: each entry's old
--      value is the stored one for the first entry of its setting, else the new value of
--      the entry before it in the batch (the history stays exact within a batch too);
--      the last entry of each setting is upserted; history ids follow the order given;
--   3-4. one NOTIFY for the batch naming every changed setting, one "guild:scope:key" a
--      line (a batch too long for PostgreSQL's 8000-byte payload limit is split into
--      several NOTIFYs of under 8000 bytes each).
--      When the lines name more than one guild the payload starts with a line "*":
--      a process of an older version reads only the first guild of a payload and
--      forgets every guild when it cannot read it, so it stays correct.
-- p_values is one JSONB array (entry i is p_values->(i - 1)). The plans are generic:
-- with array parameters PostgreSQL kept choosing custom plans, planning the statement
-- of step 2 again at every call (about as long as running it).
CREATE FUNCTION alphapy_settings_write_batch(
    p_guild_ids BIGINT[], p_scopes TEXT[], p_keys TEXT[], p_values JSONB, p_value_types TEXT[],
    p_changed_by BIGINT[], p_channel TEXT)
RETURNS TABLE (history_id INT, previous JSONB, kind TEXT, at TIMESTAMPTZ)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_lines TEXT;
    v_guilds BOOLEAN;
BEGIN
    PERFORM pg_advisory_xact_lock(locks.k)
    FROM (SELECT DISTINCT hashtextextended(u.g::text || ':' || u.s || ':' || u.n, 7) AS k
          FROM unnest(p_guild_ids, p_scopes, p_keys) AS u(g, s, n)
          ORDER BY 1) AS locks;

    RETURN QUERY
    WITH entries AS (
        SELECT u.ord::int AS ord, u.g, u.s, u.n, p_values -> (u.ord::int - 1) AS v, u.t, u.b
        FROM unnest(p_guild_ids, p_scopes, p_keys, p_value_types, p_changed_by)
             WITH ORDINALITY AS u(g, s, n, t, b, ord)
    ), chained AS (
        SELECT e.*,
               CASE WHEN lag(e.ord) OVER same IS NULL THEN stored.value ELSE lag(e.v) OVER same END AS old,
               lag(e.ord) OVER same IS NOT NULL OR stored.value IS NOT NULL AS existed,
               lead(e.ord) OVER same IS NULL AS last
        FROM entries e
        LEFT JOIN bot_settings stored ON stored.guild_id = e.g AND stored.scope = e.s AND stored.key = e.n
        WINDOW same AS (PARTITION BY e.g, e.s, e.n ORDER BY e.ord)
    ), numbered AS (
        SELECT c.*, nextval('settings_history_id_seq'::regclass)::int AS id
        FROM (SELECT * FROM chained ORDER BY ord) AS c
    ), upserted AS (
        INSERT INTO bot_settings AS s (guild_id, scope, key, value, value_type, updated_by, updated_at)
        SELECT c.g, c.s, c.n, c.v, c.t, c.b, now() FROM chained c WHERE c.last
        ON CONFLICT (guild_id, scope, key) DO UPDATE
            SET value = EXCLUDED.value, value_type = EXCLUDED.value_type,
                updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
    ), recorded AS (
        INSERT INTO settings_history AS h
            (id, guild_id, scope, key, old_value, new_value, value_type, changed_by, changed_at, change_type)
        SELECT c.id, c.g, c.s, c.n, c.old, c.v, c.t, c.b, now(),
               CASE WHEN c.existed THEN 'updated' ELSE 'created' END
        FROM numbered c
        RETURNING h.id, h.old_value, h.change_type, h.changed_at
    )
    SELECT r.id, r.old_value, r.change_type, r.changed_at FROM recorded r ORDER BY r.id;

    SELECT string_agg(changed.line, chr(10)), count(DISTINCT changed.g) > 1
    INTO v_lines, v_guilds
    FROM (SELECT DISTINCT u.g, u.g::text || ':' || u.s || ':' || u.n AS line
          FROM unnest(p_guild_ids, p_scopes, p_keys) AS u(g, s, n)) AS changed;
    IF octet_length(v_lines) <= 7000 THEN
        PERFORM pg_notify(p_channel, CASE WHEN v_guilds THEN '*' || chr(10) ELSE '' END || v_lines);
        RETURN;
    END IF;
    PERFORM pg_notify(p_channel, CASE WHEN count(DISTINCT chunks.g) > 1 THEN '*' || chr(10) ELSE '' END
                                 || string_agg(chunks.line, chr(10)))
    FROM (SELECT changed.g, changed.line,
                 sum(octet_length(changed.line) + 1) OVER (ORDER BY changed.line) / 7000 AS part
          FROM (SELECT DISTINCT u.g, u.g::text || ':' || u.s || ':' || u.n AS line
                FROM unnest(p_guild_ids, p_scopes, p_keys) AS u(g, s, n)) AS changed) AS chunks
    GROUP BY chunks.part;
END
$$;
