"""A tiny HTTP/1.1 server for an ASGI app, in a thread: the browser tests run the event
stream beside pytest-django's live server (which only speaks WSGI) and share its database."""

import asyncio
import threading


class ThreadedASGIServer:
    def __init__(self, app):
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.port = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc):
        async def shut_down():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(shut_down(), self.loop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    async def _serve(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        path, _, query = target.partition("?")
        headers = [(k.strip().lower().encode(), v.strip().encode())
                   for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)]
        scope = {"type": "http", "method": method, "path": path,
                 "query_string": query.encode(), "headers": headers}
        closed = asyncio.Event()

        async def receive():
            await closed.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                out = [f"HTTP/1.1 {message['status']} OK", "Connection: close"]
                out += [f"{k.decode()}: {v.decode()}" for k, v in message["headers"]]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode())
            else:
                writer.write(message.get("body", b""))
            try:
                await writer.drain()
            except ConnectionError:
                closed.set()

        async def watch():
            await reader.read()  # returns when the browser closes the connection
            closed.set()

        watcher = asyncio.ensure_future(watch())
        try:
            await self.app(scope, receive, send)
        finally:
            watcher.cancel()
            writer.close()
