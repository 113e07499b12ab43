"""Temporal workflows: deterministic orchestration of what domain/ decides."""
