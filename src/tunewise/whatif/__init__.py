"""What would change this: candidate answer changes, pruning, and the minimal-set search."""
