"""Why an action refused: each refusal carries the message a person reads and its HTTP status."""


class ActionError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(ActionError):
    status = 400


class Forbidden(ActionError):
    status = 403


class NotFound(ActionError):
    status = 404


class TooLarge(ActionError):
    status = 413


class Conflict(ActionError):
    status = 409


class RateLimited(ActionError):
    """Refused for now: `retry_after` is how many seconds until the limit's window ends (the
    response's Retry-After), and the message says it in words."""

    status = 429

    def __init__(self, message: str = "", *, retry_after: int, field: str | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message or "You are doing that too often. "
                                    f"Try again in {wait_in_words(self.retry_after)}.",
                         field=field)


class ReadOnly(ActionError):
    """The database takes no writes just now (a read-only file or folder, a standby server):
    nothing was saved, and the same request will work once it takes them again."""

    status = 503

    def __init__(self, retry_after: int = 60):
        self.retry_after = retry_after
        super().__init__("Nothing can be saved just now, so what you sent was not saved. "
                         f"Please try again in {wait_in_words(retry_after)}.")


def is_read_only(error: BaseException | None) -> bool:
    """Whether a database error (or the driver's error under it) says the database refuses
    writes: SQLite's "attempt to write a readonly database" and "unable to open database
    file", PostgreSQL's read-only transaction (a hot standby, default_transaction_read_only)."""
    while error is not None:
        if getattr(error, "sqlite_errorname", "").startswith(("SQLITE_READONLY",
                                                               "SQLITE_CANTOPEN")):
            return True
        if getattr(error, "sqlstate", None) == "25006":  # read_only_sql_transaction
            return True
        error = error.__cause__
    return False


class Unavailable(ActionError):
    """The database cannot be reached, or is too busy to answer, just now (a restart, a lost
    connection, a lock held past the busy timeout): a moment later the same request works."""

    status = 503

    def __init__(self, retry_after: int = 10):
        self.retry_after = retry_after
        super().__init__("The site cannot reach its database just now, so nothing was shown "
                         f"or saved. Please try again in {wait_in_words(retry_after)}.")


# PostgreSQL states of a connection that failed or a server going away (class 08; admin,
# crash and start-up shutdowns), and SQLite's "database is locked" past its busy timeout.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")
_UNAVAILABLE_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED")


def is_unavailable(error: BaseException | None) -> bool:
    """Whether a database error says the database is out of reach for now rather than that
    the query was wrong: a refused or lost connection, a server shutting down, a busy lock."""
    from django.db import InterfaceError, OperationalError

    while error is not None:
        if isinstance(error, InterfaceError):
            return True  # "connection already closed"
        if getattr(error, "sqlite_errorname", "").startswith(_UNAVAILABLE_SQLITE):
            return True
        state = getattr(error, "sqlstate", None)
        if state and state.startswith(_UNAVAILABLE_STATES):
            return True
        if isinstance(error, OperationalError) and type(error.__cause__).__module__.startswith(
                "psycopg") and getattr(error.__cause__, "sqlstate", None) is None:
            return True  # psycopg's own connection failures carry no state
        error = error.__cause__
    return False


def database_refusal(error: BaseException | None) -> ActionError | None:
    """The 503 refusal a database error stands for, if it is one of going away or read-only."""
    if is_read_only(error):
        return ReadOnly()
    if is_unavailable(error):
        return Unavailable()
    return None


def wait_in_words(seconds: int) -> str:
    """'40 seconds', '4 minutes', '1 hour and 5 minutes': never less than the real wait."""
    if seconds < 60:
        return _plural(seconds, "second")
    minutes = -(-seconds // 60)
    if minutes < 60:
        return _plural(minutes, "minute")
    hours, minutes = divmod(minutes, 60)
    return _plural(hours, "hour") + (f" and {_plural(minutes, 'minute')}" if minutes else "")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"
