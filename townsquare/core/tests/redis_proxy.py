"""A real Redis for tests, and a local port in front of it to play its outages: stopped
(connections refused), hung (connections accepted and read, nothing answered, as a Redis frozen
with kill -STOP) and back."""

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest


def redis_url_or_skip() -> str:
    """The Redis the site is configured with, else the local one; skip only if neither."""
    import redis
    from django.conf import settings

    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if settings.REDIS_URL:
            raise
        pytest.skip("REDIS_URL is unset and no Redis answers on 127.0.0.1:6379")
    return url


class RedisProxy:
    """Forwards a local port to a Redis until cut or hung; restored, it forwards again on the
    same port. Counts the connections it accepts and the bytes sent to it while hung."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.real_url = url
        self.target = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))
        self.hung = self.stopped = False
        self.connections = 0
        self.received = 0  # bytes read and left unanswered
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self._serve()

    def _serve(self):
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.sockets.append(client)
            upstream = None if self.hung else socket.create_connection(self.target)
            if upstream is not None:
                with self.lock:
                    self.sockets.append(upstream)
                self._start(upstream, client, from_client=False)
            self._start(client, upstream, from_client=True)

    def _start(self, source, sink, *, from_client: bool):
        threading.Thread(target=self._pump, args=(source, sink, from_client), daemon=True).start()

    def _pump(self, source, sink, from_client):
        try:
            while data := source.recv(65536):
                if sink is None or self.hung:  # a hung Redis reads, and answers nothing
                    if from_client:
                        with self.lock:
                            self.received += len(data)
                else:
                    sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                if s is not None:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def hang(self):
        """Stop answering, on the connections open now and on new ones."""
        self.hung = True

    def cut(self):
        """Refuse connections and drop the open ones, as a stopped Redis."""
        self.stopped = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread: port freed
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.sockets.clear()

    def restore(self):
        """Answer again (a hang's connections stay unanswered: their clients gave up)."""
        self.hung = False
        if self.stopped:
            self.stopped = False
            self.listener = socket.create_server(("127.0.0.1", self.port))
            self._serve()

    def close(self):
        self.hung = False
        self.cut()
