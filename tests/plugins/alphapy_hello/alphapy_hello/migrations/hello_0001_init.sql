-- depends: core_0001_init
CREATE TABLE hello_greetings (
    id        SERIAL PRIMARY KEY,
    guild_id  BIGINT NOT NULL,
    text      TEXT NOT NULL
);
