"""Hook implementations of the test plugin ``hello_fork``: importing it must never happen."""

raise AssertionError("a plugin whose name another package registers must not be imported")
