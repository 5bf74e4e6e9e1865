"""Rich progress bars for import, export, backup and restore: one bar per file or part, a
table at the end."""

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


class AmountColumn(ProgressColumn):
    """How much is done: as sizes for a bar counted in bytes, as done/total otherwise."""

    def __init__(self):
        super().__init__()
        self.sizes, self.counts = DownloadColumn(), MofNCompleteColumn()

    def render(self, task):
        column = self.sizes if task.fields.get("unit") == "bytes" else self.counts
        return column.render(task)


class RichProgress:
    def __init__(self, console: Console, *, unit: str = "bytes"):
        self.console = console
        self.unit = unit
        self.bars = Progress(TextColumn("{task.description:<18}"), BarColumn(), AmountColumn(),
                             TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                             transient=False)
        self.task = None

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc):
        self.bars.stop()

    def file_started(self, name: str, size: int, unit: str | None = None) -> None:
        self.task = self.bars.add_task(name, total=size or None, unit=unit or self.unit)

    def advance(self, amount: int) -> None:
        self.bars.advance(self.task, amount)

    def file_done(self, name: str, count: int) -> None:
        total = self.bars.tasks[self.task].total
        self.bars.update(self.task, completed=total or count, total=total or count,
                         description=f"{name} ✓")


class NoProgress:
    """The same calls, shown nowhere (a backup taken by the worker)."""

    def file_started(self, name: str, size: int, unit: str | None = None) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def file_done(self, name: str, count: int) -> None:
        pass


def summary_table(title: str, counts: dict[str, int], seconds: float | None = None) -> Table:
    table = Table(title=title)
    table.add_column("records")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    if seconds is not None:
        table.caption = f"{seconds:,.1f} s"
    return table
