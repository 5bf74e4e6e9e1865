"""Rich progress bars for import and export: one bar per file, a table at the end."""

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


class RichProgress:
    def __init__(self, console: Console, *, unit: str = "bytes"):
        self.console = console
        size = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
        self.bars = Progress(TextColumn("{task.description:<18}"), BarColumn(), size,
                             TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                             transient=False)
        self.task = None

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc):
        self.bars.stop()

    def file_started(self, name: str, size: int) -> None:
        self.task = self.bars.add_task(name, total=size or None)

    def advance(self, amount: int) -> None:
        self.bars.advance(self.task, amount)

    def file_done(self, name: str, count: int) -> None:
        total = self.bars.tasks[self.task].total
        self.bars.update(self.task, completed=total or count, total=total or count,
                         description=f"{name} ✓")


def summary_table(title: str, counts: dict[str, int], seconds: float | None = None) -> Table:
    table = Table(title=title)
    table.add_column("records")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    if seconds is not None:
        table.caption = f"{seconds:,.1f} s"
    return table
