"""Per-client views (PROTOCOL.md, "Views (per-client state)") from the
Python client, against the real game server, over WebSocket and
long-polling with the default (JSON) and msgpack serializers:

- bigworld (examples/bigworld: a 12×12-cell map, each client sees the 3×3
  cells around its own): four still players stand in the four corners of
  the map, one per transport × serializer; a fifth walks to the corner
  nearest to it and then along the map's edge to the next corner. Every
  mirror applies every frame and matches every per-view checksum; the
  walker's view holds exactly the player of the corner it stands in, the
  other corner's player enters it as a whole entity (a map set) and the
  first one leaves it (a map delete), and no frame ever shows a player
  farther away than the view reaches, or everybody.
- cards (examples/cards: each seat's hand is a private field only its own
  player receives): three seats draw cards, peek (room messages), list the
  rooms and watch the lobby, one seat drops and resumes on a new
  connection; no Engine.IO packet a player receives holds another seat's
  hand, in any form a packet could carry it, while its own hand arrives
  and its mirror holds the others' hands as empty bins.

ROOMCAST_GAMESERVER names the server binary; `make py-test` runs it."""

import base64
import unittest
import warnings

from roomcast_player import Player
from statesync_mirror import Mirror
from test_play import GameServer

COMBOS = [("websocket", "default"), ("websocket", "msgpack"), ("polling", "default"), ("polling", "msgpack")]

# bigworld's geometry (examples/bigworld).
SIZE = 1024.0
CELL = SIZE / 12
HYSTERESIS = 4.0  # a player changes cell this far past its cell's edge
# The farthest a player in a view can be from the viewer on an axis: the
# viewer up to HYSTERESIS outside its own cell, the other at the far side of
# a neighbouring cell and up to HYSTERESIS past it; plus float32 rounding.
REACH = 2 * CELL + 2 * HYSTERESIS + 0.01
CORNERS = [(0.0, 0.0), (SIZE, 0.0), (0.0, SIZE), (SIZE, SIZE)]
PLAYER_FIELDS = 6  # x, y, hp, score, name, online
WALK_TIMEOUT = 120  # seconds: 1024 units at 120 units/s, on a loaded machine

server = None


def setUpModule():
    global server
    warnings.filterwarnings("ignore", "unclosed <socket", ResourceWarning)
    server = GameServer()


def tearDownModule():
    if server:
        server.stop()


class ViewMirror(Mirror):
    """A mirror that notes, frame by frame, the players entering its view
    (a map set on `players`: key and the element as it arrived) and leaving
    it (a map delete: key)."""

    def __init__(self):
        super().__init__()
        self.entered, self.left = [], []

    def _map_op(self, m, field, pairs, where):
        super()._map_op(m, field, pairs, where)
        if field.name == "players":
            for key, value in zip(pairs[0::2], pairs[1::2]):
                if value is None:
                    self.left.append(key)
                else:
                    self.entered.append((key, value))


class ViewPlayer(Player):
    """A bigworld player whose every applied frame is checked against the
    view's geometry: no player farther than REACH on an axis, never all
    `everybody` players of the room at once."""

    def __init__(self, url, name, everybody):
        super().__init__(url, name)
        self.mirror = ViewMirror()
        self.everybody = everybody

    def _apply(self, conn, kind, args):
        super()._apply(conn, kind, args)
        if self.errors:
            return  # the mirror stopped following the view at the first problem
        state = self.mirror.plain()
        if state is None or self.seat is None or self.seat["sessionId"] not in state["players"]:
            return
        players = state["players"]
        me = players[self.seat["sessionId"]]
        if len(players) >= self.everybody:
            raise AssertionError(f"the view at tick {self.mirror.tick} holds all {len(players)} players")
        for key, p in players.items():
            if abs(p["x"] - me["x"]) > REACH or abs(p["y"] - me["y"]) > REACH:
                raise AssertionError(f"{p['name']} ({key}) at ({p['x']}, {p['y']}) is in the view of "
                                     f"{me['name']} at ({me['x']}, {me['y']}) at tick {self.mirror.tick}")

    def position(self):
        with self.cond:
            me = self.me()
            return None if me is None else (me["x"], me["y"])

    def view(self):
        """The session ids the mirror holds."""
        with self.cond:
            return set(self.mirror.plain()["players"])


class BigWorld(unittest.TestCase):
    def test_players_enter_and_leave_a_view_whole(self):
        players = []
        try:
            self.world(players)
        except BaseException as exc:
            counts = "\n".join(f"  {p.name}: {p.counts}" for p in players)
            raise AssertionError(f"{exc}\ncounts:\n{counts}\nserver log tail:\n{server.stderr()}") from exc
        finally:
            for p in players:
                if p.conn is not None:
                    p.conn.close()

    def world(self, players):
        everybody = len(CORNERS) + 1
        still = []
        for i, (transport, serializer) in enumerate(COMBOS):
            p = ViewPlayer(server.url, f"still{i}", everybody)
            players.append(p)
            p.join(p.connect(transport, serializer), "rooms.joinOrCreate", "bigworld", {"name": p.name})
            p.wait_for(lambda p=p: p.me() is not None, f"{p.name}'s own entity")
            still.append(p)
        self.assertEqual(len({p.seat["roomId"] for p in still}), 1, "one bigworld room")

        # The still players go to the four corners (the map's edges stop
        # them there), one each: no view holds two corners.
        for p, corner in zip(still, CORNERS):
            self.walk_to(p, corner, stop=False)
        for p, corner in zip(still, CORNERS):
            self.arrive(p, corner)

        walker = ViewPlayer(server.url, "walker", everybody)
        players.append(walker)
        walker.join(walker.connect("polling", "default"), "rooms.joinById", still[0].seat["roomId"], {"name": "walker"})
        walker.wait_for(lambda: walker.me() is not None, "the walker's own entity")
        x, y = walker.position()
        first = CORNERS.index((0.0 if x < SIZE / 2 else SIZE, 0.0 if y < SIZE / 2 else SIZE))
        second = CORNERS.index((SIZE - CORNERS[first][0], CORNERS[first][1]))  # along the edge
        me = walker.seat["sessionId"]
        a, b = still[first], still[second]
        ids = {p: p.seat["sessionId"] for p in still}

        self.walk_to(walker, CORNERS[first])
        walker.wait_for(lambda: walker.view() == {me, ids[a]}, f"a view of the walker and {a.name} only")
        a.wait_for(lambda: me in a.view(), f"the walker in {a.name}'s view")
        entered, left = len(walker.mirror.entered), len(walker.mirror.left)

        self.walk_to(walker, CORNERS[second])
        walker.wait_for(lambda: walker.view() == {me, ids[b]}, f"a view of the walker and {b.name} only")
        self.assertIn(ids[a], walker.mirror.left[left:], f"{a.name} left the walker's view by a map delete")
        self.assert_entered(walker, ids[b], b.name, entered)
        b.wait_for(lambda: me in b.view(), f"the walker in {b.name}'s view")
        self.assert_entered(b, me, "walker", 0)
        a.wait_for(lambda: me not in a.view(), f"the walker gone from {a.name}'s view")
        self.assertIn(me, a.mirror.left, f"the walker left {a.name}'s view by a map delete")

        # The walker's own moves reach it every tick: a delta with a
        # checksum (every 20 ticks) came and matched.
        self.assertGreater(walker.counts["delta_checksums"], 0, "the walker compared a delta's checksum")
        for p in players:
            self.assertEqual(p.errors, [], p.name)
            self.assertGreater(p.counts["checksums"], 0, f"{p.name} compared a checksum")
            self.assertTrue(p.checksum_every_snapshot, f"{p.name}: a snapshot without a checksum")
            self.assertEqual((p.counts["gap"], p.counts["old"]), (0, 0), f"{p.name}: gaps or old deltas")
            self.assertGreater(p.counts["applied"], 0, f"{p.name} applied deltas")

    def assert_entered(self, viewer, key, name, since):
        """key entered viewer's view (after its since-th entry) as a whole
        player: [ref, x, y, hp, score, name, online]."""
        arrivals = [value for k, value in viewer.mirror.entered[since:] if k == key]
        self.assertTrue(arrivals, f"{name} entered {viewer.name}'s view by a map set")
        whole = arrivals[-1]
        self.assertEqual(len(whole), 1 + PLAYER_FIELDS, f"{name} arrived whole in {viewer.name}'s view: {whole!r}")
        self.assertEqual((whole[3], whole[5], whole[6]), (100, name, True), f"{name}'s hp, name, online: {whole!r}")

    def walk_to(self, p, target, stop=True):
        """Sends p towards target (a corner, or a point on the same edge)
        with one input: the latest input holds until the next."""
        x, y = p.position()
        sign = lambda d: (d > 0) - (d < 0)
        p.send_input({"dx": sign(target[0] - x), "dy": sign(target[1] - y)})
        if stop:
            self.arrive(p, target)

    def arrive(self, p, target):
        """Waits for p at target, then stops it."""
        p.wait_for(lambda: p.position() == target, f"{p.name} at {target}", timeout=WALK_TIMEOUT)
        stop = p.send_input({"dx": 0, "dy": 0})
        p.wait_for(lambda: p.ack >= stop, f"the ack of {p.name}'s stop")


# cards (examples/cards): seat s's hand after n draws.
def hand(seat, draws):
    return bytes([0xDE, 0xAD, 0xC0, 0xDE, seat, draws, 0x5A])


def secret_forms(seat, max_draws):
    """Every form of seat's hands a received packet could carry: the bytes
    (msgpack bin, a binary attachment), a JSON array of numbers, hex, and
    base64 (bytes in a JSON text)."""
    forms = {"bytes": hand(seat, 0)[:5], "JSON numbers": b"222,173,192,222,%d," % seat,
             "hex": b"deadc0de%02x" % seat, "HEX": b"DEADC0DE%02X" % seat}
    for n in range(max_draws + 1):
        forms[f"base64 of hand {n}"] = base64.b64encode(hand(seat, n))[:8]
        forms[f"url-safe base64 of hand {n}"] = base64.urlsafe_b64encode(hand(seat, n))[:8]
    return forms


class CardPlayer(Player):
    """A cards player: every connection records the Engine.IO packets it
    receives, and the room messages and lobby events are counted."""

    def __init__(self, url, name, index):
        super().__init__(url, name)
        self.index = index  # its seat at the table (the order of joining)
        self.conns = []
        self.events = {"msg": [], "lobby.rooms": [], "lobby.update": []}

    def open(self, transport, serializer):
        c = self.connect(transport, serializer, record=True)
        self.conns.append(c)
        for event in self.events:
            c.sio.on(event, lambda *args, event=event: self._note(event, args))
        return c

    def _note(self, event, args):
        with self.cond:
            self.events[event].append(args)
            self.cond.notify_all()

    def hands(self):
        """The hands the mirror holds, by session id."""
        with self.cond:
            return {k: s["hand"] for k, s in self.mirror.plain()["seats"].items()}

    def own_hand(self):
        with self.cond:
            state = self.mirror.plain()
            seat = state and state["seats"].get(self.seat["sessionId"])
            return seat and seat["hand"]

    def received(self):
        return b"".join(b"".join(c.received) for c in self.conns)


class Cards(unittest.TestCase):
    """Secret hands stay secret, per transport × serializer (a room each)."""

    DRAWS = 6

    def secrets(self, transport, serializer):
        players = [CardPlayer(server.url, f"py-{transport[:4]}-{serializer[:4]}-{i}", i) for i in range(3)]
        try:
            self.table(players, transport, serializer)
        except BaseException as exc:
            counts = "\n".join(f"  {p.name}: {p.counts}" for p in players)
            raise AssertionError(f"{exc}\ncounts:\n{counts}\nserver log tail:\n{server.stderr()}") from exc
        finally:
            for p in players:
                for c in p.conns:
                    c.close()

    def table(self, players, transport, serializer):
        for p in players:
            c = p.open(transport, serializer)
            self.assertEqual(c.request("lobby.subscribe", {"name": "cards"}), {"ok": True})
            if p.index == 0:
                p.join(c, "rooms.create", "cards", {"name": p.name})
            else:
                p.join(c, "rooms.joinById", players[0].seat["roomId"], {"name": p.name})
            p.wait_for(lambda p=p: p.mirror.tick is not None and p.own_hand() == hand(p.index, 0),
                       f"{p.name}'s own first hand")
        room = players[0].seat["roomId"]

        for draw in range(1, self.DRAWS + 1):
            for p in players:
                p.send_input({})
            for p in players:
                p.wait_for(lambda p=p: p.own_hand() == hand(p.index, draw), f"{p.name}'s hand after draw {draw}")

        for p in players:
            self.assertEqual(p.conn.request("msg", "peek", None), {"ok": True})
            listing = p.conn.request("rooms.list", {"name": "cards"})
            self.assertIn(room, [r["roomId"] for r in listing["rooms"]])
        for p in players:
            p.wait_for(lambda p=p: len(p.events["msg"]) >= 1 + len(players), f"{p.name}'s hand and the peeks")
            self.assertIn(("hand", hand(p.index, self.DRAWS)), [tuple(m) for m in p.events["msg"]],
                          f"{p.name}'s peek answered with its own hand")
            p.wait_for(lambda p=p: p.events["lobby.rooms"], f"{p.name}'s lobby list")

        # Seat 1 drops; seat 0 draws meanwhile; seat 1 resumes on a new
        # connection (a view's resume always brings a snapshot) and draws.
        dropped = players[1]
        dropped.conn.close()
        players[0].send_input({})
        snapshots = dropped.counts["snapshot"]
        dropped.resume(dropped.open(transport, serializer), with_tick=True)
        dropped.wait_for(lambda: dropped.counts["snapshot"] > snapshots, "the snapshot after the resume")
        dropped.send_input({})
        for p in players[:2]:
            p.wait_for(lambda p=p: p.own_hand() == hand(p.index, self.DRAWS + 1), f"{p.name}'s hand after the resume")

        for p in players:
            self.assertEqual(p.errors, [], p.name)
            self.assertGreater(p.counts["checksums"], 0, f"{p.name} compared a checksum")
            self.assertTrue(p.checksum_every_snapshot, f"{p.name}: a snapshot without a checksum")
            self.assertGreater(p.counts["delta"], 0, f"{p.name} got deltas")
            self.assertTrue(p.events["lobby.rooms"] or p.events["lobby.update"], f"{p.name} got lobby listings")
            received = p.received()
            self.assertIn(hand(p.index, self.DRAWS), received, f"{p.name} received its own hand")
            for other in players:
                if other is p:
                    continue
                for form, pattern in secret_forms(other.index, self.DRAWS + 1).items():
                    at = received.find(pattern)
                    self.assertEqual(at, -1, f"{p.name} received seat {other.index}'s hand ({form}) at byte {at} "
                                             f"of {len(received)}: {received[max(0, at - 60):at + 20]!r}")
                self.assertEqual(p.hands()[other.seat["sessionId"]], b"",
                                 f"{p.name}'s mirror holds {other.name}'s hand as an empty bin")

    def test_websocket_default(self):
        self.secrets("websocket", "default")

    def test_websocket_msgpack(self):
        self.secrets("websocket", "msgpack")

    def test_polling_default(self):
        self.secrets("polling", "default")

    def test_polling_msgpack(self):
        self.secrets("polling", "msgpack")


if __name__ == "__main__":
    unittest.main()
