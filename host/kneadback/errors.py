"""Error types. A user mistake is an `InputError`: one line, exit code 2, no traceback."""


class KneadbackError(Exception):
    """Base of every error kneadback reports to a user as one line."""

    exit_code = 1


class InputError(KneadbackError):
    """Something the user handed us is wrong: a file, a flag, a spec."""

    exit_code = 2


class SourceError(KneadbackError):
    """A source (port, simulator, emulator, file) cannot be opened or read."""

    exit_code = 2


class ProtocolError(KneadbackError):
    """A misuse of the protocol API by our own code (never raised for bad bytes)."""


class RecordingError(KneadbackError):
    """The session store cannot be read or written."""

    exit_code = 2
