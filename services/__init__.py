"""Use cases that the API and the command line both call: settings, tokens, plans, Temporal."""
