"""Boucle's store: SQLModel tables, the engine and Alembic migrations."""
