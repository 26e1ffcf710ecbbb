"""The package version, on the ground floor so that any module can name it without importing the API."""

__version__ = "0.1.0"
