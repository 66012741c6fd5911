"""Use cases behind the commands: each returns a result; the CLI renders it."""
