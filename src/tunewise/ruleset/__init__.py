"""The rule set: its pydantic schema, its run-time records, loading, and the shipped default."""
