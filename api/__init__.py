"""Boucle's HTTP API (FastAPI)."""
