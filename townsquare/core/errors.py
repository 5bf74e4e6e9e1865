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
    status = 429
