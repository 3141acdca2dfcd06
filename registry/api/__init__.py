"""The public Python API: what the CLI, the web UI and notebooks share (issue 11 fills it in)."""
