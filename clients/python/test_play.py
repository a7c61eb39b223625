"""The Python client plays the arena against the real game server, over
WebSocket and long-polling, with python-socketio's default (JSON) and msgpack
serializers: join, a mirror of every state frame, inputs acknowledged in the
frames, resume on new connections (with the mirror's tick, and without:
snapshot), leave.

ROOMCAST_GAMESERVER names the server binary (go build -o DIR/gameserver
./cmd/gameserver); the tests start it on 127.0.0.1 port 0 and read the
address from its "listening on http://HOST:PORT" line. `make py-test` does
all that."""

import re
import unittest
import warnings

from child_process import START_TIMEOUT, ChildProcess
from roomcast_player import Player, RequestError

SPEED_PER_TICK = 5.0  # arena: 100 units/s at 20 ticks/s
CHECKSUM_EVERY = 20  # arena: deltas at ticks that are multiples of 20 carry a checksum
BURST = 6  # inputs sent at once; the play mode queues up to 8
# The visitor's moves while the player is away: with the default parser each
# missed delta is 2 Engine.IO packets (text + binary attachment), so the
# resume brings more than 16 packets at once, and python-engineio 4.3 refuses
# a long-polling response of more than 16 packets ("Unexpected packet from
# server, aborting"): the server must split them.
VISIT_MOVES = 7


class GameServer(ChildProcess):
    """The gameserver binary on 127.0.0.1, port 0."""

    def __init__(self):
        super().__init__("ROOMCAST_GAMESERVER", "gameserver", "go build -o /tmp/gs/gameserver ./cmd/gameserver",
                         ["--addr", "127.0.0.1:0", "--drain-grace", "3s"])
        line = self.first_line()
        m = re.fullmatch(r"listening on (http://\S+)\n", line)
        if not m:
            self.stop()
            raise RuntimeError(f"gameserver did not print its address within {START_TIMEOUT} s "
                               f"(stdout {line!r}); stderr:\n{self.stderr()}")
        self.url = m.group(1)


server = None


def setUpModule():
    global server
    # websocket-client leaves its socket to the garbage collector on close.
    warnings.filterwarnings("ignore", "unclosed <socket", ResourceWarning)
    server = GameServer()


def tearDownModule():
    if server:
        server.stop()


class Play(unittest.TestCase):
    """One player's whole session per transport x serializer. Each case uses
    its own arena flavour (float32, quantized, packed positions), so its
    player is alone in its room and moves exactly as its inputs say."""

    def play(self, transport, serializer, options):
        name = f"py-{transport[:4]}-{serializer[:4]}"
        p = Player(server.url, name)
        try:
            self.session(p, transport, serializer, dict(options, name=name))
        except BaseException as exc:
            raise AssertionError(f"{exc}\ncounts {p.counts}\nserver log tail:\n{server.stderr()}") from exc

    def session(self, p, transport, serializer, options):
        c1 = p.connect(transport, serializer)
        seat = p.join(c1, "rooms.joinOrCreate", "arena", options)
        self.assertEqual(seat["name"], "arena")
        self.assertEqual(seat["tickRate"], 20)
        p.wait_for(lambda: p.mirror.tick is not None, "the snapshot after the join")
        me = p.me()
        self.assertIsNotNone(me, "own player in the state")
        self.assertEqual(me["name"], options["name"])
        self.assertEqual(me["hp"], 100)
        self.assertEqual(len(p.mirror.plain()["pickups"]), 5, "play mode has 5 pickups")
        self.move(p)

        # While the player is away, another joins its room, moves and
        # leaves. Resuming on a new connection with the mirror's tick brings
        # exactly those missed deltas (fewer bytes than a snapshot): same
        # seat, new token; seqs continue.
        c1.close()
        other = self.visit(seat["roomId"], transport, serializer)
        snapshots = p.counts["snapshot"]
        c2 = p.connect(transport, serializer)
        p.resume(c2, with_tick=True)
        p.wait_for(lambda: p.mirror.tick > other.mirror.tick and other.seat["sessionId"] not in p.mirror.plain()["players"],
                   "the missed deltas of the other player's visit")
        self.assertEqual(p.counts["snapshot"], snapshots, "missed deltas, not a snapshot")
        self.move(p)

        # Resume without a tick: always a snapshot.
        c2.close()
        c3 = p.connect(transport, serializer)
        snapshots = p.counts["snapshot"]
        p.resume(c3, with_tick=False)
        p.wait_for(lambda: p.counts["snapshot"] > snapshots, "the snapshot after a resume without tick")
        self.move(p)

        self.walk_past_a_checksum(p)

        self.assertEqual(c3.request("rooms.leave"), {"ok": True})
        c3.close()
        self.assertEqual(p.errors, [])
        self.assertEqual(p.counts["old"], 0, "an ordered connection never gets an old delta")
        self.assertEqual(p.counts["gap"], 0, "no frame was dropped for a lone reader")
        self.assertGreater(p.counts["applied"], 3 * BURST)
        self.assertTrue(p.checksum_every_snapshot, "a snapshot without a checksum (the arena sends one with every snapshot)")

    def walk_past_a_checksum(self, p):
        """Keeps walking (the play mode holds the last direction, so every
        tick has a delta) until a delta carrying a checksum (every
        CHECKSUM_EVERY ticks) has been compared with the mirror's; then
        stops."""
        seen = p.counts["delta_checksums"]
        start_tick = p.mirror.tick
        dx = 1 if self.position(p.me())[0] < 500 else -1
        p.send_input({"dx": dx, "dy": 0})
        p.wait_for(lambda: p.counts["delta_checksums"] > seen or p.mirror.tick > start_tick + 2 * CHECKSUM_EVERY,
                   "a delta with a checksum")
        self.assertGreater(p.counts["delta_checksums"], seen,
                           f"no delta with a checksum from tick {start_tick} to {p.mirror.tick}")
        stop = p.send_input({"dx": 0, "dy": 0})
        p.wait_for(lambda: p.ack >= stop, "the ack of the stop")

    def visit(self, room_id, transport, serializer):
        """Another player joins the room by id, moves VISIT_MOVES ticks and
        leaves."""
        other = Player(server.url, "py-visitor")
        c = other.connect(transport, serializer)
        other.join(c, "rooms.joinById", room_id, {"name": "py-visitor"})
        other.wait_for(lambda: other.me() is not None, "the visitor in its own mirror")
        for _ in range(VISIT_MOVES):
            other.send_input({"dx": 0, "dy": 1})
        stop = other.send_input({"dx": 0, "dy": 0})
        other.wait_for(lambda: other.ack >= stop, "the visitor's last ack")
        self.assertEqual(c.request("rooms.leave"), {"ok": True})
        c.close()
        self.assertEqual(other.errors, [])
        return other

    def move(self, p):
        """Sends BURST inputs away from the nearer wall and a stop, all at
        once (the play mode applies one per tick), waits for the frame
        acknowledging the stop and checks the player moved exactly
        BURST ticks."""
        start = self.position(p.me())
        dx = 1 if start[0] < 500 else -1
        for _ in range(BURST):
            p.send_input({"dx": dx, "dy": 0})
        stop = p.send_input({"dx": 0, "dy": 0})
        p.wait_for(lambda: p.ack >= stop, f"the ack of input {stop}")
        self.assertEqual(p.ack, stop)
        end = self.position(p.me())
        self.assertAlmostEqual(end[0], start[0] + dx * BURST * SPEED_PER_TICK, places=3,
                               msg=f"x after {BURST} inputs from {start}")
        self.assertAlmostEqual(end[1], start[1], places=3)

    @staticmethod
    def position(player):
        if "pos" in player:
            return tuple(player["pos"])
        return player["x"], player["y"]

    def test_websocket_default(self):
        self.play("websocket", "default", {})

    def test_websocket_msgpack(self):
        self.play("websocket", "msgpack", {"quantized": True})

    def test_polling_default(self):
        self.play("polling", "default", {"quantized": True, "packed": True})

    def test_polling_msgpack(self):
        self.play("polling", "msgpack", {"quantized": False, "packed": False, "mode": "play"})


class Replace(unittest.TestCase):
    """A seat resumed while its first connection is alive moves to the new
    one (upgrading from polling to WebSocket, other serializer); the old
    connection gets room.left "replaced"; the used token is refused."""

    def test_resume_on_a_live_seat_across_transports(self):
        p = Player(server.url, "py-replace")
        c1 = p.connect("websocket", "msgpack")
        p.join(c1, "rooms.joinOrCreate", "arena", {"name": "py-replace", "mode": "bench"})
        p.wait_for(lambda: p.mirror.tick is not None, "the snapshot after the join")
        self.assertNotIn("pickups", p.mirror.plain(), "bench mode has players only")
        first = p.send_input({"dx": 1, "dy": 1})
        p.wait_for(lambda: p.ack >= first, "the first input's ack")
        old_token = p.seat["token"]

        c2 = p.connect("upgrade", "default")
        p.resume(c2, with_tick=True)
        p.wait_for(lambda: c1.left, "room.left on the replaced connection")
        self.assertEqual(c1.left[0]["code"], "replaced")
        second = p.send_input({"dx": -1, "dy": 0})
        p.wait_for(lambda: p.ack >= second, "the ack of an input on the new connection")
        self.assertIsNotNone(p.me())
        self.assertEqual(c2.sio.transport(), "websocket", "upgraded from polling")

        c3 = p.connect("polling", "default")
        with self.assertRaises(RequestError) as used:
            c3.request("rooms.resume", {"token": old_token, "tick": 0})
        self.assertEqual(used.exception.code, "token_used")
        with self.assertRaises(RequestError) as none:
            c3.request("rooms.leave")
        self.assertEqual(none.exception.code, "not_in_room")

        self.assertEqual(c2.request("rooms.leave"), {"ok": True})
        for c in (c1, c2, c3):
            c.close()
        self.assertEqual(p.errors, [])


if __name__ == "__main__":
    unittest.main()
