"""The interactive questionnaire: state, terminal, and the session."""
