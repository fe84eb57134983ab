"""The one error type for problems a user can cause (bad file, no person, too long, ...).

The dashboard shows its message, the CLI prints it and exits 2. Anything else is a bug.
"""


class FitScoreError(Exception):
    """Bad input, explained in words a trainer understands."""
