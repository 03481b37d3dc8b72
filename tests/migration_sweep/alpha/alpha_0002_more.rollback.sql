DELETE FROM sweep_effects WHERE migration = 'alpha_0002_more';
DROP TABLE alpha_more;
