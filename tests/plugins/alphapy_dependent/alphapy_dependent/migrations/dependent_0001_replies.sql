-- depends: hello_0001_init
CREATE TABLE dependent_replies (
    id           SERIAL PRIMARY KEY,
    greeting_id  INTEGER NOT NULL REFERENCES hello_greetings (id) ON DELETE CASCADE,
    text         TEXT NOT NULL
);
