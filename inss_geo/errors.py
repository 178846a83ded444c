"""Typed errors for users: each message says what is wrong and what to do.

The command line turns any ``InssGeoError`` into a one-line message and exit status 1.
"""

from __future__ import annotations


class InssGeoError(Exception):
    """Base class of every error a user can cause."""


class InputFileError(InssGeoError, FileNotFoundError):
    """A file is missing, unreadable or not of the expected kind."""


class SensorMismatchError(InssGeoError, ValueError):
    """Channels of a scene, library, sensor or checkpoint do not agree."""


class CheckpointError(InssGeoError, ValueError):
    """A model file is not a valid inss-geo checkpoint."""


class ConfigError(InssGeoError, ValueError):
    """An option value or a combination of options cannot be used."""


class OutputError(InssGeoError, OSError):
    """An output could not be written (disk full, read-only file system, ...)."""
