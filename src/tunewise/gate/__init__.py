"""The CI gate: find profiles, read their evidence, judge each, with stable rule ids."""
