"""PynamoDB models and the repositories in front of them: the only place that imports pynamodb."""
