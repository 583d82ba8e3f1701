"""A TCP relay between the app and its database that can drop, stall or refuse connections.

Tests point the app's DATABASE_URL at the relay instead of PostgreSQL, then break the network
the way a restart, a failover or a saturated server would:

- ``drop()``: close every open connection at once (a database restart, a killed backend);
- ``stall()``: keep connections open but stop passing bytes (a frozen server, a lost route);
  ``resume()`` lets them flow again;
- ``refuse()``: close each new connection as soon as it is accepted (the server is down);
  ``accept()`` undoes it.

It relays bytes only and knows nothing of the PostgreSQL protocol.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator


class Relay:
    """Listen on a free local port and forward each connection to ``target``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._refusing = False
        self._closed = False
        self.connections_made = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # Faults -----------------------------------------------------------------------------
    def drop(self) -> None:
        """Close every open connection (new ones are still accepted)."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def stall(self) -> None:
        """Stop passing bytes in both directions; connections stay open."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def refuse(self) -> None:
        """Close new connections at once, and drop the open ones."""
        self._refusing = True
        self.drop()

    def accept(self) -> None:
        self._refusing = False

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """The database is unreachable inside the block, and back afterwards."""
        self.refuse()
        try:
            yield
        finally:
            self.accept()

    def close(self) -> None:
        self._closed = True
        self.resume()
        self.drop()
        self._thread.join(timeout=2)
        _close(self._listener)

    # Plumbing ---------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _address = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self._refusing:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
                self.connections_made += 1
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        client, upstream = pair
        peers = {client: upstream, upstream: client}
        selector = selectors.DefaultSelector()
        try:
            for sock in pair:  # blocking sockets: recv after readiness returns at once
                sock.settimeout(None)
                selector.register(sock, selectors.EVENT_READ)
            while not self._closed:
                with self._lock:
                    if pair not in self._pairs:
                        return
                if not self._flowing.wait(timeout=0.1):
                    continue
                for key, _events in selector.select(timeout=0.1):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    if not self._flowing.is_set():
                        break
                    try:
                        data = source.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        return
                    if not data:
                        return
                    try:
                        peers[source].sendall(data)
                    except OSError:
                        return
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            with self._lock:
                self._pairs.discard(pair)
            for sock in pair:
                _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
