"""Reading untrusted input: safe files, located YAML, profiles, configuration."""
