-- depends: badsql_0001_init
ALTER TABLE badsql_things ADD COLUMN name TEXT;
CREAT TABLE badsql_more (id INT);
