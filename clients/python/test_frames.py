"""The player's checks on each state frame, without a server: a checksum
that differs from the mirror's, a malformed checksum, an ack that goes back
or acknowledges an input never sent, and a state that is not binary are
errors; a checksum on a frame the mirror could not apply is not compared."""

import unittest

from roomcast_player import Player
from statesync_mirror import Mirror
from test_mirror import protocol_hex_blocks


class FakeConnection:
    def __init__(self):
        self.problems = []


class FrameChecks(unittest.TestCase):
    def setUp(self):
        self.snap, self.d8, self.d10, self.d11, _ = protocol_hex_blocks()
        self.p = Player("http://127.0.0.1:1", "test")
        self.conn = FakeConnection()
        self.p.conn = self.conn
        self.p.seq = 5

    def checksum_after(self, *frames):
        m = Mirror()
        m.apply_snapshot(frames[0])
        for d in frames[1:]:
            m.apply_delta(d)
        return m.checksum_hex()

    def test_matching_checksums_are_counted(self):
        self.p._frame(self.conn, "snapshot", (self.snap, 0, self.checksum_after(self.snap)))
        self.p._frame(self.conn, "delta", (self.d8, 1, self.checksum_after(self.snap, self.d8)))
        self.p._frame(self.conn, "delta", (self.d10, 2))
        self.assertEqual(self.p.errors, [])
        self.assertEqual((self.p.counts["checksums"], self.p.counts["delta_checksums"]), (2, 1))
        self.assertEqual(self.p.ack, 2)
        self.p.wait_for(lambda: self.p.mirror.tick == 10, "tick 10", timeout=1)

    def test_refused_frames(self):
        cases = {
            "checksum mismatch": [("snapshot", (self.snap, 0, "0123456789abcdef"))],
            "not 16 lowercase hex": [("snapshot", (self.snap, 0, self.checksum_after(self.snap).upper()))],
            "ack went back": [("snapshot", (self.snap, 3)), ("delta", (self.d8, 2))],
            "never sent": [("snapshot", (self.snap, 6))],
            "want binary": [("snapshot", ("not bytes", 0))],
            "arguments": [("snapshot", (self.snap,))],
        }
        for want, frames in cases.items():
            with self.subTest(want):
                self.setUp()
                for kind, args in frames:
                    self.p._frame(self.conn, kind, args)
                self.assertEqual(len(self.p.errors), 1, self.p.errors)
                self.assertIn(want, self.p.errors[0])
                with self.assertRaisesRegex(AssertionError, want):
                    self.p.wait_for(lambda: False, "nothing", timeout=1)

    def test_a_gap_waits_for_a_snapshot(self):
        self.p._frame(self.conn, "snapshot", (self.snap, 0))
        self.p._frame(self.conn, "delta", (self.d10, 0, "0123456789abcdef"))  # base 8 > tick 7: not applied, not compared
        self.p._frame(self.conn, "delta", (self.d11, 0))  # still waiting for a snapshot
        self.assertEqual(self.p.errors, [])
        self.assertEqual((self.p.counts["gap"], self.p.needs_snapshot, self.p.mirror.tick), (1, True, 7))
        self.p._frame(self.conn, "snapshot", (self.snap, 0))
        self.assertFalse(self.p.needs_snapshot)

    def test_frames_of_another_connection_are_ignored(self):
        self.p._frame(FakeConnection(), "snapshot", (b"junk", 99))
        self.assertEqual((self.p.errors, self.p.counts["stale"], self.p.mirror.tick), ([], 1, None))


if __name__ == "__main__":
    unittest.main()
