-- The kill sweep's first migration: a table and one row saying it ran.
CREATE TABLE sweep_effects (migration TEXT NOT NULL);
INSERT INTO sweep_effects VALUES ('alpha_0001_init');
