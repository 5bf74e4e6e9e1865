"""Driving the stream's ASGI application in-process."""

import asyncio
import json


def events_in(text: str) -> list[tuple[str | None, str, dict]]:
    """(id, event, data) of each event in a text/event-stream body."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n")
                      if ": " in line and not line.startswith(":"))
        if "event" in fields:
            found.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return found


def run_stream(app, path: str, *, cookies: str = "", last_id: str = "", origin: str = "",
               method: str = "GET", during=None, until=None, seconds: float = 3.0,
               linger: float = 0.0):
    """Open a stream in-process; once it is open do `during()` (sync, in a thread); collect
    what arrives until `until(events)` is true or `seconds` passed; then close it and keep
    the server's loop running `linger` seconds more. (status, headers, body)."""
    reader = {"path": path, "cookies": cookies, "last_id": last_id, "origin": origin,
              "method": method}
    every = None if until is None else (lambda found: until(found[0]))
    return run_streams(app, [reader], during=during, until=every, seconds=seconds,
                       linger=linger)[0]


def run_streams(app, readers: list[dict], *, during=None, until=None, seconds: float = 3.0,
                linger: float = 0.0):
    """Several streams open at once in one loop (each reader a dict of run_stream's
    path, cookies, last_id, origin, method); `until` is given each reader's events, in
    order. [(status, headers, body)] in the readers' order."""

    async def open_one(reader, gone):
        headers = [(b"cookie", reader.get("cookies", "").encode())]
        if reader.get("last_id"):
            headers.append((b"last-event-id", reader["last_id"].encode()))
        if reader.get("origin"):
            headers.append((b"origin", reader["origin"].encode()))
        scope = {"type": "http", "method": reader.get("method", "GET"),
                 "path": reader["path"], "query_string": b"", "headers": headers}
        start, chunks = {}, []

        async def receive():
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        return start, chunks, asyncio.create_task(app(scope, receive, send))

    async def go():
        gone = asyncio.Event()
        opened = [await open_one(reader, gone) for reader in readers]
        loop = asyncio.get_running_loop()
        ends = loop.time() + seconds
        while (not all(start for start, _, _ in opened)
               and not all(task.done() for _, _, task in opened) and loop.time() < ends):
            await asyncio.sleep(0.01)
        if during is not None and all(start.get("status") == 200 for start, _, _ in opened):
            await asyncio.sleep(0.3)  # the hub has found the end of the log
            await asyncio.to_thread(during)
        while loop.time() < ends and not all(task.done() for _, _, task in opened):
            found = [events_in(b"".join(chunks).decode()) for _, chunks, _ in opened]
            if until is not None and until(found):
                break
            await asyncio.sleep(0.02)
        gone.set()
        for _, _, task in opened:
            await asyncio.wait_for(task, 5)
        await asyncio.sleep(linger)
        return [(start.get("status"), {k.decode(): v.decode() for k, v in
                                       start.get("headers", [])}, b"".join(chunks).decode())
                for start, chunks, _ in opened]

    return asyncio.run(go())


def kinds(events) -> list[str]:
    return [kind for _, kind, _ in events]
