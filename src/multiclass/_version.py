"""The package version, alone, so that nothing needs to import the package face to read it."""

__version__ = "0.1.0"
