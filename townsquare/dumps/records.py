"""Reading the forum dump format: JSON lines, checked field by field, errors as file:line."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

FORMAT, VERSION = "forum-dump", 1
FILES = ["users.jsonl", "categories.jsonl", "topics.jsonl", "posts.jsonl", "reactions.jsonl"]


class DumpError(Exception):
    """One or more problems, each as `file:line: what is wrong`."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Line:
    file: str
    number: int
    record: dict

    def where(self) -> str:
        return f"{self.file}:{self.number}"

    def fail(self, message: str) -> "DumpError":
        return DumpError([f"{self.where()}: {message}"])

    def require(self, *fields: str) -> None:
        missing = [f for f in fields if self.record.get(f) in (None, "")]
        if missing:
            raise self.fail(f"missing required field{'s' if len(missing) > 1 else ''} "
                            + ", ".join(repr(f) for f in missing))

    def id(self, field: str = "id", *, required: bool = True) -> int | str | None:
        value = self.record.get(field)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise self.fail(f"{field!r} must be a number or a string, not {value!r}")
        return value

    def text(self, field: str, *, max_length: int | None = None, default: str = "") -> str:
        value = self.record.get(field, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(f"{field!r} must be a string")
        if max_length and len(value) > max_length:
            raise self.fail(f"{field!r} is {len(value):,} characters long; the limit is "
                            f"{max_length:,}")
        return value

    def flag(self, field: str) -> bool:
        value = self.record.get(field, False)
        if not isinstance(value, bool):
            raise self.fail(f"{field!r} must be true or false")
        return value

    def whole(self, field: str, default: int = 0) -> int:
        value = self.record.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"{field!r} must be a whole number of zero or more")
        return value

    def time(self, field: str, *, required: bool = True) -> datetime | None:
        value = self.record.get(field)
        if value in (None, "") and not required:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.fail(f"{field!r} is not an ISO 8601 time: {value!r}") from None
        if moment.tzinfo is None:
            raise self.fail(f"{field!r} has no time zone: {value!r}")
        return moment.astimezone(UTC)

    def day(self, field: str) -> date | None:
        value = self.record.get(field)
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(value) if len(value) == 10 else \
                datetime.fromisoformat(value).date()
        except (TypeError, ValueError):
            raise self.fail(f"{field!r} is not an ISO 8601 date: {value!r}") from None


def read_meta(folder: Path) -> dict:
    path = folder / "meta.json"
    if not path.exists():
        raise DumpError([f"meta.json: missing (is {folder} a forum dump?)"])
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise DumpError([f"meta.json:1: broken JSON ({error})"]) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DumpError([f"meta.json:1: 'format' must be {FORMAT!r}"])
    if meta.get("version") != VERSION:
        raise DumpError([f"meta.json:1: version {meta.get('version')!r} is not supported "
                         f"(this is version {VERSION})"])
    return meta


def read_lines(path: Path, on_bytes=None) -> Iterator[Line]:
    """Each record of a .jsonl file with its line number; a missing file has none."""
    if not path.exists():
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if on_bytes:
                on_bytes(len(raw))
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as error:
                hint = " (the file looks truncated)" if not raw.endswith(b"\n") else ""
                raise DumpError([f"{path.name}:{number}: broken JSON{hint}: {error}"]) from None
            if not isinstance(record, dict):
                raise DumpError([f"{path.name}:{number}: each line must be a JSON object"])
            yield Line(path.name, number, record)
