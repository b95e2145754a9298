"""Quality evaluations: Broadsheet's stages scored on third-party data with published metrics.

Each module loads one task's data from the shared evaluation directory (never from the repo),
re-implements the metric its source publishes, and checks that re-implementation against the
source's own published numbers before trusting it on our systems.
"""
