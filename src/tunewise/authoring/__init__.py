"""Tools for rule-set authors: lint and proof, case tests, explain, drawings, JSON Schemas."""
