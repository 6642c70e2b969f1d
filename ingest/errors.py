"""The base of every error a user can cause and fix (bad input, bad flags, missing workspace).

The CLI prints such errors as one line and exits non-zero; anything else is a bug.
"""


class FactloomError(Exception):
    """An error with a message that tells the user what to do."""
