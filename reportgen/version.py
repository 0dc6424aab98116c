"""The release number, for the CLI and the manifest (the package's own __init__ imports it from here)."""

__version__ = "0.1.0"
