"""Errors a user fixes by changing their data or settings: stages print the message
as one line (it says what to fix) instead of a traceback."""


class SourceError(Exception):
    """The data source is missing or laid out wrongly; the message says how to fix it."""


class BrokenEnvironment(Exception):
    """The project's own code or a package it needs cannot be imported (a vanished or broken
    virtualenv): not the data's fault, so nothing is listed as unreadable."""
