"""The Python client against two real gameserver nodes on a real
redis-server (PROTOCOL.md, "Several nodes: redirects"): a rooms.joinById
sent to the node that does not hold the room is redirected, and the player
ends seated, with a snapshot, on the node that holds it; a resume sent to
the other node is redirected there too. Both transports, JSON and msgpack.

ROOMCAST_GAMESERVER names the server binary; redis-server must be on the
PATH (Debian's redis-server package). `make py-test` runs it."""

import re
import shutil
import socket
import subprocess
import time
import unittest
import warnings

from child_process import START_TIMEOUT, ChildProcess
from roomcast_player import Player


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """redis-server on a free 127.0.0.1 port, nothing saved."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not on the PATH (apt-get install redis-server)")
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on port {self.port} within {START_TIMEOUT} s")
            time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class Node(ChildProcess):
    """A gameserver node of the cluster, on 127.0.0.1 port 0."""

    def __init__(self, redis_url, node_id):
        super().__init__("ROOMCAST_GAMESERVER", "gameserver", "go build -o /tmp/gs/gameserver ./cmd/gameserver",
                         ["--addr", "127.0.0.1:0", "--drain-grace", "3s", "--redis", redis_url,
                          "--node-id", node_id, "--redis-prefix", "py"])
        line = self.first_line()
        m = re.fullmatch(r"listening on (http://\S+)\n", line)
        if not m:
            self.stop()
            raise RuntimeError(f"node {node_id} did not print its address within {START_TIMEOUT} s "
                               f"(stdout {line!r}); stderr:\n{self.stderr()}")
        self.url = m.group(1)


redis = None
nodes = []


def setUpModule():
    global redis
    warnings.filterwarnings("ignore", "unclosed <socket", ResourceWarning)
    redis = Redis()
    try:
        nodes.append(Node(redis.url, "py1"))
        nodes.append(Node(redis.url, "py2"))
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    for n in nodes:
        n.stop()
    if redis:
        redis.stop()


class Cluster(unittest.TestCase):
    def seat_across(self, transport, serializer):
        holder_node, other_node = nodes
        tag = f"py-{transport[:4]}-{serializer[:4]}"
        owner = Player(holder_node.url, tag + "-owner")
        guest = Player(other_node.url, tag + "-guest")
        try:
            seat = owner.join(owner.connect(transport, serializer), "rooms.create", "arena", {"name": tag + "-owner"})
            room = seat["roomId"]

            first = guest.connect(transport, serializer)
            gseat = guest.join(first, "rooms.joinById", room, {"name": tag + "-guest"})
            self.assertEqual(gseat["roomId"], room)
            self.assertEqual(guest.conn.url, holder_node.url, "seated on the node holding the room")
            self.assertTrue(first.closing, "the first connection is closed once seated elsewhere")
            guest.wait_for(lambda: guest.mirror.tick is not None, "the snapshot on the holding node")
            guest.wait_for(lambda: guest.me() is not None, "the guest in the room's state")
            self.assertIsNotNone(guest.mirror.plain()["players"].get(seat["sessionId"]), "the owner in the guest's state")

            old = guest.conn
            old.close()
            again = guest.resume(guest.connect(transport, serializer), with_tick=False)
            self.assertEqual(again["roomId"], room)
            self.assertEqual(guest.conn.url, holder_node.url, "the resume sent to the other node was redirected")
            guest.wait_for(lambda: guest.me() is not None, "the guest's state after the resume")
        except BaseException as exc:
            raise AssertionError(f"{exc}\nnode logs:\n{holder_node.stderr()}\n{other_node.stderr()}") from exc
        finally:
            for p in (owner, guest):
                if p.conn:
                    p.conn.close()

    def test_websocket_json(self):
        self.seat_across("websocket", "default")

    def test_websocket_msgpack(self):
        self.seat_across("websocket", "msgpack")

    def test_polling_json(self):
        self.seat_across("polling", "default")

    def test_polling_msgpack(self):
        self.seat_across("polling", "msgpack")


if __name__ == "__main__":
    unittest.main()
