"""boucle."""
