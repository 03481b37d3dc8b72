-- depends: reminders_0001_init
-- The dashboard lists a server's reminders soonest first (next_fire_at, then id; unscheduled
-- ones last): this index serves that order, so a page of 50 reads 50 rows, not the server's
-- thousands (bench/bench_dashboard_reminders.py).
CREATE INDEX idx_reminders_guild_next ON reminders (guild_id, next_fire_at, id);
