"""Evidence files: training and held-out datasets, and prompt-evaluation reports."""
