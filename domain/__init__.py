"""Boucle's pure core: plans, calendar, reminder timelines, indicators and cycle phases.

Nothing here performs I/O, reads the clock or knows about Temporal or SQL.
"""
