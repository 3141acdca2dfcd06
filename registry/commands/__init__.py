"""One module per ``creg`` sub-command; each exposes ``command`` (a click command)."""
