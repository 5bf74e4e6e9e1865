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
