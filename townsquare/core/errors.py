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
