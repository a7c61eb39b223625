"""The Python mirror against the Go reference, without a server: the
recorded traffic of sync/testdata/traffic (canonical bytes and checksum
after every frame, pinned by sync/traffic_test.go; the view-*.json files
are one view's frames, pinned by sync/view_test.go) and the worked
examples of PROTOCOL.md (pinned by sync/golden_test.go)."""

import glob
import json
import os
import re
import unittest

import msgpack

from statesync_mirror import APPLIED, EMPTY, GAP, OLD, Mirror, MirrorError, fnv1a64

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def protocol_hex_blocks():
    """The ```hex blocks of PROTOCOL.md, comments stripped, as bytes."""
    with open(os.path.join(REPO, "PROTOCOL.md"), encoding="utf-8") as f:
        text = f.read()
    blocks = []
    for body in re.findall(r"```hex\n(.*?)```", text, re.S):
        hexdigits = "".join(line.split("#", 1)[0] for line in body.splitlines())
        blocks.append(bytes.fromhex("".join(hexdigits.split())))
    return blocks


class RecordedTraffic(unittest.TestCase):
    def test_every_frame_rebuilds_the_go_state(self):
        self.replay("script-*.json", 3)

    def test_every_frame_of_a_view_rebuilds_the_go_view(self):
        """Views (PROTOCOL.md, "Views"): entities entering as map sets and
        leaving as deletes, several ops on one map field in a delta, an
        entity set whole and then patched in the same delta, ref gaps,
        private fields at zero."""
        self.replay("view-*.json", 2)

    def replay(self, pattern, at_least):
        files = sorted(glob.glob(os.path.join(REPO, "sync", "testdata", "traffic", pattern)))
        self.assertGreaterEqual(len(files), at_least, f"recorded traffic {pattern} missing")
        for name in files:
            with open(name, encoding="utf-8") as f:
                frames = json.load(f)["frames"]
            m = Mirror()
            for i, fr in enumerate(frames):
                with self.subTest(file=os.path.basename(name), frame=i):
                    data = bytes.fromhex(fr["hex"])
                    if fr["kind"] == "snapshot":
                        m.apply_snapshot(data)
                    else:
                        self.assertEqual(m.apply_delta(data), APPLIED)
                    self.assertEqual(m.tick, fr["tick"])
                    self.assertEqual(m.canonical().hex(), fr["canonical"])
                    self.assertEqual(m.checksum_hex(), fr["checksum"])


class ProtocolExamples(unittest.TestCase):
    def test_worked_example(self):
        snap, d8, d10, d11, q2 = protocol_hex_blocks()
        m = Mirror()
        m.apply_snapshot(snap)
        self.assertEqual(m.tick, 7)
        self.assertEqual(m.plain(), {"round": 1, "players": {"a": {"x": 1.5, "y": -2.0, "hp": 100, "name": "Ann"}},
                                     "scores": [], "qx": 0.0})
        self.assertEqual(m.apply_delta(d8), APPLIED)
        self.assertEqual(m.plain()["players"]["a"]["x"], 2.0)
        self.assertEqual(m.apply_delta(d10), APPLIED)
        self.assertEqual(m.apply_delta(d11), APPLIED)
        self.assertEqual(m.tick, 11)
        self.assertEqual(m.plain(), {"round": 2, "players": {"b": {"x": 10.0, "y": 20.0, "hp": 100, "name": "Bo"}},
                                     "scores": [5, 300], "qx": 512.25})
        self.assertEqual(sorted(m.entities), [0, 2], "ref 1 freed with player a")
        self.assertEqual(m.apply_delta(d11), OLD)

    def test_q2_example(self):
        q2 = protocol_hex_blocks()[4]
        m = Mirror()
        schema = [["Root", [["pos", "q2", 0.0, 1024.0, 1 / 32]]]]
        m.apply_snapshot(msgpack.packb([0, schema, [0, 0]]))
        self.assertEqual(m.apply_delta(q2), APPLIED)
        self.assertEqual(m.plain(), {"pos": [512.25, 3.0]})

    def test_ack_only_and_out_of_order_deltas(self):
        snap, d8, d10, _, _ = protocol_hex_blocks()
        m = Mirror()
        self.assertEqual(m.apply_delta(d8), GAP, "no snapshot yet")
        m.apply_snapshot(snap)
        self.assertEqual(m.apply_delta(b""), EMPTY)
        self.assertEqual(m.apply_delta(d10), GAP, "base 8 > tick 7: a frame is missing")
        self.assertEqual(m.apply_delta(msgpack.packb([9, 2])), APPLIED, "ack-only delta [tick, gap]")
        self.assertEqual(m.tick, 9)


class ViewShapes(unittest.TestCase):
    """What a view's deltas may hold (PROTOCOL.md, "Views"), by hand on the
    worked example's state: several ops on one map field, an entity set
    whole then patched in the same delta, refs with gaps."""

    def test_several_ops_and_a_patch_after_a_whole_entity(self):
        m = Mirror()
        m.apply_snapshot(protocol_hex_blocks()[0])
        delta = msgpack.packb([8, 1, [0, 1, "a", None], [0, 1, "b", [5, 1.0, 2.0, 100, "Bo"]],
                               [0, 1, "c", [9, 3.0, 4.0, 50, "Cy"]], -1, 5, 7.0])
        self.assertEqual(m.apply_delta(delta), APPLIED)
        self.assertEqual(m.plain()["players"], {"b": {"x": 7.0, "y": 2.0, "hp": 100, "name": "Bo"},
                                                "c": {"x": 3.0, "y": 4.0, "hp": 50, "name": "Cy"}})
        self.assertEqual(sorted(m.entities), [0, 5, 9], "ref 1 freed with a; refs 5 and 9 live")
        # b leaves the view, and comes back in a later delta (whole, with a
        # ref the client never saw after its own).
        self.assertEqual(m.apply_delta(msgpack.packb([9, 1, [0, 1, "b", None]])), APPLIED)
        self.assertEqual(sorted(m.entities), [0, 9])
        self.assertEqual(m.apply_delta(msgpack.packb([11, 2, [0, 1, "b", [12, 8.0, 2.0, 100, "Bo"]]])), APPLIED)
        self.assertEqual(sorted(m.entities), [0, 9, 12])
        self.assertEqual(m.plain()["players"]["b"]["x"], 8.0)


class Rejects(unittest.TestCase):
    def setUp(self):
        self.m = Mirror()
        self.m.apply_snapshot(protocol_hex_blocks()[0])
        self.good = self.m.checksum()

    def test_bad_deltas(self):
        cases = {
            "trailing bytes": msgpack.packb([8, 1, -1, 1, 2.0]) + b"\x00",
            "patch before mask": msgpack.packb([8, 1, 1, 2.0]),
            "unknown ref": msgpack.packb([8, 1, -1, 9, 2.0]),
            "u8 out of range": msgpack.packb([8, 1, -4, 1, 300]),
            "mask names a map": msgpack.packb([8, 1, -2, 0, {}]),
            "unknown field": msgpack.packb([8, 1, -(1 << 7), 1, 1]),
            "delete missing key": msgpack.packb([8, 1, [0, 1, "zz", None]]),
            "splice beyond": msgpack.packb([8, 1, [0, 2, 1, 0, 5]]),
            "q beyond range": msgpack.packb([8, 1, -8, 0, 40000]),
            "live ref reused": msgpack.packb([8, 1, [0, 1, "b", [1, 1.0, 1.0, 1, "B"]]]),
            "not msgpack": b"\xc1",
        }
        for what, data in cases.items():
            with self.subTest(what):
                with self.assertRaises(MirrorError):
                    self.m.apply_delta(data)
                self.setUp()

    def test_bad_snapshots(self):
        for what, v in {
            "unknown kind": [1, [["R", [["a", "u7"]]]], [0, 1]],
            "wrong element count": [1, [["R", [["a", "u8"]]]], [0, 1, 2]],
            "root ref not 0": [1, [["R", [["a", "u8"]]]], [3, 1]],
            "bad type index": [1, [["R", [["c", "ref", 4]]]], [0, None]],
        }.items():
            with self.subTest(what):
                with self.assertRaises(MirrorError):
                    self.m.apply_snapshot(msgpack.packb(v))
                self.assertEqual(self.m.checksum(), self.good, "a refused snapshot keeps the old state")


class Checksum(unittest.TestCase):
    def test_fnv1a64_vectors(self):
        self.assertEqual(fnv1a64(b""), 0xCBF29CE484222325)
        self.assertEqual(fnv1a64(b"a"), 0xAF63DC4C8601EC8C)


if __name__ == "__main__":
    unittest.main()
