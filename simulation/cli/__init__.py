"""The command line: python -m simulation <command>."""
