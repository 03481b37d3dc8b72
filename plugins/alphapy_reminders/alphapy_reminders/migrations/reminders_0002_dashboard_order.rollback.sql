DROP INDEX idx_reminders_guild_next;
