"""The web UI that ``creg ui`` serves and exports."""
