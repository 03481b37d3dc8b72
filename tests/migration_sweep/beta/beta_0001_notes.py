"""The kill sweep's Python step migration, building on another owner's table."""

from yoyo import step

__depends__ = {"alpha_0001_init"}

steps = [
    step("CREATE TABLE beta_notes (id INT)", "DROP TABLE beta_notes"),
    step("INSERT INTO sweep_effects VALUES ('beta_0001_notes')",
         "DELETE FROM sweep_effects WHERE migration = 'beta_0001_notes'"),
]
