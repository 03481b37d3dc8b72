DROP TABLE sweep_effects;
