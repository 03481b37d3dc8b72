-- depends: alpha_0001_init
CREATE TABLE alpha_more (id INT);
INSERT INTO sweep_effects VALUES ('alpha_0002_more');
