"""Engines other than the default one-machine stages (reportgen.stages)."""
