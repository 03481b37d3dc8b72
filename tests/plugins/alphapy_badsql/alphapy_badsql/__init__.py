"""A test plugin whose second migration has an SQL error: the others must still migrate."""
