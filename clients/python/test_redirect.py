"""The Python client follows the multi-node redirects of PROTOCOL.md
("Several nodes: redirects") against internal/redirectstub's three stub
nodes: a join ends seated on the node the reply named (also one behind a
path prefix, and after two redirects), on a new connection with the same
transport and serializer, with the first connection closed; a resume is
redirected without a claim; redirect_loop, claim_invalid, unavailable and
node_gone come out as RequestError codes.

ROOMCAST_REDIRECTSTUB names the stub binary (go build -o DIR/redirectstub
./internal/redirectstub/cmd/redirectstub); `make py-test` builds it."""

import json
import time
import unittest
import urllib.request
import warnings

from child_process import START_TIMEOUT, ChildProcess
from roomcast_player import Player, RequestError


class Stub(ChildProcess):
    """The redirectstub process: node URLs A, B, C and their stats."""

    def __init__(self):
        super().__init__("ROOMCAST_REDIRECTSTUB", "redirectstub",
                         "go build -o /tmp/rs/redirectstub ./internal/redirectstub/cmd/redirectstub", stdin=True)
        line = self.first_line()
        try:
            self.urls = json.loads(line)
        except ValueError as exc:
            self.stop()
            raise RuntimeError(f"redirectstub printed no URLs within {START_TIMEOUT} s (stdout {line!r})") from exc

    def stats(self):
        with urllib.request.urlopen(self.urls["stats"], timeout=30) as res:
            return json.load(res)

    def open_conns(self):
        st = self.stats()
        return {n: sum(1 for c in st[n]["conns"] if c["open"]) for n in "ABC"}

    def eventually(self, pred, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.02)


stub = None


def setUpModule():
    global stub
    warnings.filterwarnings("ignore", "unclosed <socket", ResourceWarning)
    stub = Stub()


def tearDownModule():
    if stub:
        stub.stop()


class Redirect(unittest.TestCase):
    def setUp(self):
        stub.eventually(lambda: sum(stub.open_conns().values()) == 0, "no open stub connections")

    def test_join_follows_redirect(self):
        cases = [
            ("websocket", "msgpack", "rooms.joinOrCreate", "toB", "B"),
            ("polling", "default", "rooms.create", "toB", "B"),
            ("polling", "msgpack", "rooms.join", "toC", "C"),  # behind the path prefix /n3
            ("websocket", "default", "rooms.joinById", "hop", "C"),  # two redirects
            ("websocket", "msgpack", "rooms.joinOrCreate", "toBnoclaim", "B"),  # the same request there
        ]
        for transport, serializer, event, target, node in cases:
            with self.subTest(transport=transport, serializer=serializer, target=target):
                self.setUp()
                p = Player(stub.urls["A"], "py")
                first = p.connect(transport, serializer)
                seat = p.join(first, event, target, {})
                self.assertEqual(seat["roomId"], f"room-{node}")
                self.assertTrue(seat["token"].startswith(node + "."))
                self.assertIsNot(p.conn, first)
                self.assertEqual(p.conn.url, stub.urls[node], "seated on the node the reply named")
                st = stub.stats()
                self.assertIn(seat["sessionId"], st[node]["seats"])
                conn = st[node]["conns"][-1]
                self.assertEqual(conn["transport"], transport)
                self.assertEqual(conn["parser"], serializer)
                want = {"A": 0, "B": 0, "C": 0, node: 1}
                stub.eventually(lambda: stub.open_conns() == want, f"open connections {want}")
                self.assertEqual(p.conn.problems, [])
                p.conn.close()

    def test_failures_keep_the_first_connection(self):
        for target, code in (("loop", "redirect_loop"), ("badclaim", "claim_invalid"), ("unavailable", "unavailable"),
                             ("badurl", "bad_reply")):
            with self.subTest(target=target):
                self.setUp()
                p = Player(stub.urls["A"], "py")
                first = p.connect("websocket", "msgpack")
                with self.assertRaises(RequestError) as cm:
                    p.join(first, "rooms.joinOrCreate", target, {})
                self.assertEqual(cm.exception.code, code)
                self.assertIs(p.conn, first)
                stub.eventually(lambda: stub.open_conns() == {"A": 1, "B": 0, "C": 0}, "only the first connection open")
                seat = p.join(first, "rooms.joinOrCreate", "toB", {})  # still usable
                self.assertEqual(p.conn.url, stub.urls["B"])
                self.assertEqual(seat["roomId"], "room-B")
                p.conn.close()

    def test_resume_follows_redirect(self):
        p = Player(stub.urls["A"], "py")
        c1 = p.connect("polling", "default")
        p.join(c1, "rooms.joinOrCreate", "here", {})
        self.assertIs(p.conn, c1, "no redirect: the same connection")
        c1.close()

        p.seat = dict(p.seat, token="C.5", sessionId="C-s5")  # a seat on node C
        c2 = p.connect("polling", "default")
        seat = p.resume(c2, with_tick=False)
        self.assertEqual(p.conn.url, stub.urls["C"])
        self.assertTrue(seat["token"].startswith("C."))
        self.assertEqual(stub.stats()["C"]["events"][-1:], ["rooms.resume"], "the same request, no claim")

        p.seat = dict(p.seat, token="X.1")  # a seat on a dead node
        c3 = p.connect("websocket", "msgpack")
        with self.assertRaises(RequestError) as cm:
            p.resume(c3, with_tick=False)
        self.assertEqual(cm.exception.code, "node_gone")
        p.conn.close()
        c3.close()


if __name__ == "__main__":
    unittest.main()
