-- depends: core_0001_init
CREATE TABLE greeter_welcomes (
    id           SERIAL PRIMARY KEY,
    guild_id     BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    welcomed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_greeter_welcomes_guild ON greeter_welcomes (guild_id);
CREATE INDEX idx_greeter_welcomes_user ON greeter_welcomes (user_id);
