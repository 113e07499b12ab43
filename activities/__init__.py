"""Activities: the side effects workflows ask for. Small, idempotent, named in workflows.types."""
