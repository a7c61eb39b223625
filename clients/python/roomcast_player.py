"""A roomcast game client in Python on Debian's python3-socketio (5.7) /
python3-engineio (4.3), written from PROTOCOL.md: one player's seat in a
room, kept across connections (resume), with a statesync mirror fed by the
`snapshot` / `delta` events and inputs acknowledged through the frames' ack.

    player = Player("http://127.0.0.1:2567", name="ada")
    player.connect("websocket", "msgpack")      # or "polling", "upgrade"; "default"
    seat = player.request("rooms.joinOrCreate", "arena", {"name": "ada"})
    player.wait_for(lambda: player.mirror.tick is not None, "the first snapshot")
    seq = player.send_input({"dx": 1, "dy": 0})
    player.wait_for(lambda: player.ack >= seq, "the input's ack")

A join or resume that the server redirects to another node (PROTOCOL.md,
"Several nodes: redirects") is followed: a new connection to the node the
reply names, with the same transport and serializer, then rooms.claim (or
the same rooms.resume); the player's connection is then that one
(`player.conn.url`) and the first is closed.

Every state frame is checked: its state must decode and apply, the ack must
never go back, and when the server sends a checksum (a third argument, 16
hex digits) it must equal the mirror's. Problems are collected in
`player.errors`; wait_for fails as soon as there is one.
"""

import itertools
import logging
import threading
import time
import urllib.parse

import engineio
import socketio

from statesync_mirror import APPLIED, EMPTY, GAP, OLD, Mirror, MirrorError

REQUEST_TIMEOUT = 30  # seconds; generous for a loaded 2-core machine
_LOGGER_IDS = itertools.count(1)
TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling"], "upgrade": ["polling", "websocket"]}
MAX_REDIRECTS = 3  # per join or resume; then RequestError redirect_loop
SOCKETIO_PATH = "/socket.io"


class OrderedEngineIO(engineio.Client):
    """python-engineio 4.x hands every received message to its handler on a
    new thread, so two state frames (or a default-parser event and its binary
    attachment) can be handled out of order. A game client needs them in
    order: this client runs the message handler on the reading thread."""

    packet_listener = None  # called with each received Engine.IO packet's bytes (see Connection(record=True))

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def _receive_packet(self, pkt):
        # Every packet after the handshake, whatever the transport, reaches
        # the client here. pkt.encode() gives it back as the transport
        # carried it: a binary packet's bytes (base64 undone on
        # long-polling), a text packet's type digit and text.
        if self.packet_listener is not None:
            raw = pkt.encode()
            self.packet_listener(raw if isinstance(raw, bytes) else raw.encode("utf-8"))
        return super()._receive_packet(pkt)


class OrderedSocketIO(socketio.Client):
    def _engineio_client_class(self):
        return OrderedEngineIO


class RequestError(Exception):
    """A request answered {ok: false, error: {code, message}}; redirect is
    the reply's redirect object ({url, claim?, roomId?}) when code is
    "redirect"."""

    def __init__(self, event, error, redirect=None):
        self.code = error.get("code") if isinstance(error, dict) else None
        self.redirect = redirect if isinstance(redirect, dict) else None
        super().__init__(f"{event}: {error}")


def socketio_path(url):
    """The Socket.IO path of the node at url: a path in the URL (a reverse
    proxy's per-node prefix) goes before /socket.io. python-engineio reads
    only the URL's host, so the prefix must travel in socketio_path."""
    prefix = urllib.parse.urlparse(url).path.rstrip("/")
    return prefix + SOCKETIO_PATH


class _ProblemHandler(logging.Handler):
    """Turns the warnings python-socketio/engineio log (e.g. "Unexpected
    packet from server, aborting") into the connection's problems."""

    def __init__(self, conn):
        super().__init__(logging.WARNING)
        self.conn = conn

    def emit(self, record):
        self.conn._problem(f"{record.name}: {record.getMessage()}")


class Connection:
    """One Socket.IO connection of a player."""

    def __init__(self, player, transport, serializer, url=None, record=False):
        self.player, self.transport, self.serializer = player, transport, serializer
        self.url = url or player.url  # the node's base URL
        self.record = record
        self.received = []  # with record: every Engine.IO packet received (but the handshake's OPEN), as bytes
        self.left = []  # room.left payloads received on this connection
        self.problems = []  # library warnings and unexpected disconnects
        self.closing = False
        loggers = []
        for lib in ("socketio", "engineio"):
            log = logging.getLogger(f"roomcast_player.{lib}.{next(_LOGGER_IDS)}")
            log.propagate = False
            log.setLevel(logging.WARNING)
            log.addHandler(_ProblemHandler(self))
            loggers.append(log)
        self.sio = OrderedSocketIO(serializer=serializer, reconnection=False,
                                   logger=loggers[0], engineio_logger=loggers[1])
        self.sio.on("snapshot", lambda *a: player._frame(self, "snapshot", a))
        self.sio.on("delta", lambda *a: player._frame(self, "delta", a))
        self.sio.on("room.left", lambda *a: player._room_left(self, a))
        self.sio.on("disconnect", lambda: self._problem("disconnected"))
        if record:
            self.sio.eio.packet_listener = self.received.append

    def _problem(self, what):
        with self.player.cond:
            if not self.closing:
                self.problems.append(f"{self.transport}/{self.serializer} connection: {what}")
                self.player.cond.notify_all()

    def open(self):
        self.sio.connect(self.url, transports=TRANSPORTS[self.transport], socketio_path=socketio_path(self.url),
                         wait_timeout=REQUEST_TIMEOUT)

    def request(self, event, *args):
        """Emits event with an ack and returns the ack's object; raises
        RequestError on {ok: false}."""
        acks = []

        def on_ack(*reply):
            with self.player.cond:
                acks.append(reply)
                self.player.cond.notify_all()

        self.sio.emit(event, args if len(args) != 1 else args[0], callback=on_ack)
        self.player.wait_for(lambda: acks, f"the ack of {event}", conn=self)
        if len(acks[0]) != 1:
            raise AssertionError(f"{event}: ack with {len(acks[0])} arguments, want 1")
        reply = acks[0][0]
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            raise AssertionError(f"{event}: ack {reply!r} is not {{ok: bool, ...}}")
        if not reply["ok"]:
            raise RequestError(event, reply.get("error"), reply.get("redirect"))
        return reply

    def close(self):
        with self.player.cond:
            self.closing = True
        self.sio.disconnect()


class Player:
    """A player: the seat, the mirror and the inputs, across connections."""

    def __init__(self, url, name):
        self.url, self.name = url, name
        self.cond = threading.Condition()
        self.mirror = Mirror()
        self.conn = None  # the connection holding (or about to hold) the seat
        self.seat = None  # the last seat ack: roomId, sessionId, token, tickRate, name
        self.seq = 0  # last input seq sent
        self.ack = 0  # last ack seen in a frame
        self.needs_snapshot = False
        self.errors = []
        self.counts = {"snapshot": 0, "delta": 0, APPLIED: 0, EMPTY: 0, OLD: 0, GAP: 0,
                       "checksums": 0, "delta_checksums": 0, "stale": 0}
        self.checksum_every_snapshot = True  # false once a snapshot came without one

    # -- connections and requests -----------------------------------------

    def connect(self, transport, serializer, record=False):
        """Opens a new connection; it becomes the player's once it holds the
        seat (join or resume). With record, the connection keeps every
        Engine.IO packet it receives (Connection.received)."""
        c = Connection(self, transport, serializer, record=record)
        c.open()
        return c

    def join(self, conn, event, *args):
        seat = self._seat_request(conn, event, *args)
        self._take_seat(seat)
        return seat

    def _seat_request(self, conn, event, *args):
        """Sends a join or resume on conn, which becomes the player's, and
        follows redirects (at most MAX_REDIRECTS): a redirect with a claim
        is answered by rooms.claim({claim}) on a new connection to its url,
        one without by the same request there. The connection that seats
        becomes the player's before its request (its snapshot follows the
        ack); the others are closed."""
        with self.cond:
            self.conn = conn
        cur = conn
        for hops in itertools.count():
            try:
                seat = cur.request(event, *args)
            except RequestError as exc:
                if exc.code != "redirect" or not exc.redirect or not isinstance(exc.redirect.get("url"), str):
                    self._give_back(conn, cur)
                    raise
                if hops == MAX_REDIRECTS:
                    self._give_back(conn, cur)
                    raise RequestError(event, {"code": "redirect_loop", "message":
                                               f"redirected {hops + 1} times, the last to {exc.redirect['url']}"}) from exc
                if urllib.parse.urlparse(exc.redirect["url"]).scheme not in ("http", "https", "ws", "wss"):
                    self._give_back(conn, cur)
                    raise RequestError(event, {"code": "bad_reply", "message":
                                               f"redirect to {exc.redirect['url']!r}, not an http(s) or ws(s) URL"}) from exc
                nxt = Connection(self, cur.transport, cur.serializer, url=exc.redirect["url"], record=cur.record)
                try:
                    nxt.open()
                except Exception:
                    nxt.close()
                    self._give_back(conn, cur)
                    raise
                if cur is not conn:
                    cur.close()
                with self.cond:
                    self.conn = nxt
                cur = nxt
                if exc.redirect.get("claim"):
                    event, args = "rooms.claim", ({"claim": exc.redirect["claim"]},)
                continue
            except Exception:
                self._give_back(conn, cur)
                raise
            if cur is not conn:
                conn.close()  # seated elsewhere: the first connection goes
            return seat

    def _give_back(self, conn, cur):
        """After a failed follow: cur (a redirect's connection) is closed
        and the player's connection is conn again, if still open."""
        if cur is not conn:
            cur.close()
            with self.cond:
                self.conn = conn

    def resume(self, conn, with_tick=True):
        """rooms.resume on conn with the last token and, if with_tick, the
        mirror's tick (then the server may answer with the missed deltas;
        without it, a snapshot)."""
        body = {"token": self.seat["token"]}
        with self.cond:
            if with_tick:
                body["tick"] = self.mirror.tick
            else:
                self.needs_snapshot = True
        seat = self._seat_request(conn, "rooms.resume", body)
        if seat["sessionId"] != self.seat["sessionId"]:
            raise AssertionError(f"resume gave sessionId {seat['sessionId']}, want {self.seat['sessionId']}")
        if seat["token"] == self.seat["token"]:
            raise AssertionError("resume gave the same token again; tokens are single use")
        self._take_seat(seat)
        return seat

    def _take_seat(self, seat):
        for key, kind in (("roomId", str), ("sessionId", str), ("token", str), ("tickRate", int), ("name", str)):
            if not isinstance(seat.get(key), kind):
                raise AssertionError(f"seat {seat!r}: {key} is not a {kind.__name__}")
        self.seat = seat

    def send_input(self, payload):
        """Sends input(seq, payload) with the next seq and returns the seq."""
        self.seq += 1
        self.conn.sio.emit("input", (self.seq, payload))
        return self.seq

    # -- frames (called on the connection's reading thread) ----------------

    def _frame(self, conn, kind, args):
        with self.cond:
            try:
                self._apply(conn, kind, args)
            except (MirrorError, AssertionError) as exc:
                self.errors.append(f"{kind} frame at mirror tick {self.mirror.tick}: {exc}")
                self.needs_snapshot = True
            self.cond.notify_all()

    def _apply(self, conn, kind, args):
        if conn is not self.conn:
            self.counts["stale"] += 1  # e.g. the old connection after a resume elsewhere
            return
        if len(args) not in (2, 3):
            raise AssertionError(f"{len(args)} arguments, want (state, ack[, checksum])")
        state, ack = args[0], args[1]
        checksum = args[2] if len(args) == 3 else None
        if not isinstance(state, bytes):
            raise AssertionError(f"state is a {type(state).__name__}, want binary")
        if not isinstance(ack, int) or isinstance(ack, bool) or ack < 0:
            raise AssertionError(f"ack {ack!r} is not an unsigned integer")
        if ack < self.ack:
            raise AssertionError(f"ack went back from {self.ack} to {ack}")
        if ack > self.seq:
            raise AssertionError(f"ack {ack} for an input never sent (last seq {self.seq})")
        self.ack = ack
        self.counts[kind] += 1
        if kind == "snapshot":
            self.mirror.apply_snapshot(state)
            self.needs_snapshot = False
            result = APPLIED
            if checksum is None:
                self.checksum_every_snapshot = False
        elif self.needs_snapshot:
            result = GAP
        else:
            result = self.mirror.apply_delta(state)
            self.counts[result] += 1
            if result == GAP:
                self.needs_snapshot = True
        if checksum is not None:
            if not isinstance(checksum, str) or len(checksum) != 16 or checksum.strip("0123456789abcdef"):
                raise AssertionError(f"checksum {checksum!r} is not 16 lowercase hex digits")
            if result in (APPLIED, EMPTY):
                mine = self.mirror.checksum_hex()
                if mine != checksum:
                    raise AssertionError(f"checksum mismatch at tick {self.mirror.tick}: server {checksum}, "
                                         f"mirror {mine} (canonical {self.mirror.canonical().hex()})")
                self.counts["checksums"] += 1
                if kind == "delta":
                    self.counts["delta_checksums"] += 1

    def _room_left(self, conn, args):
        with self.cond:
            conn.left.append(args[0] if args else None)
            self.cond.notify_all()

    # -- waiting -----------------------------------------------------------

    def wait_for(self, pred, what, timeout=REQUEST_TIMEOUT, conn=None):
        """Waits until pred() (called under the player's lock) holds; fails
        at once if a frame was refused or the connection (default: the one
        holding the seat) had a problem, or after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            conn = conn or self.conn
            while not self._failed(conn) and not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what} "
                                         f"(mirror tick {self.mirror.tick}, ack {self.ack}, seq {self.seq}, "
                                         f"counts {self.counts})")
                self.cond.wait(left)
            if self._failed(conn):
                raise AssertionError("\n  ".join([f"failed waiting for {what}:"] + self.errors + conn.problems))

    def _failed(self, conn):
        return self.errors or (conn is not None and conn.problems)

    def me(self):
        """This player's entity in the mirrored state (plain dict), or None."""
        with self.cond:
            state = self.mirror.plain()
        if state is None or self.seat is None:
            return None
        return state.get("players", {}).get(self.seat["sessionId"])
