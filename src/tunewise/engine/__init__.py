"""The one evaluator: compiled conditions and values, walks, the decision and the estimate."""
