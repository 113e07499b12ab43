"""Notifications: message types, templates (fr, en), rendering, .ics building and SMTP."""
