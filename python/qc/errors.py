"""Errors the qc driver reports as one line, without a traceback."""


class QCError(Exception):
    """A user-facing error: bad input, unsupported model, failed stage."""
