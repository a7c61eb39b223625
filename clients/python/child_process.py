"""Test scaffolding shared by test_play, test_redirect and test_cluster: a Go binary the
tests run against, started as a child process that prints one line on
stdout when it is ready (where it listens)."""

import os
import subprocess
import tempfile
import threading

START_TIMEOUT = 60


class ChildProcess:
    """The binary named by environment variable env (name is what it is,
    build how to build it), run with args; its
    stderr goes to a temporary file (see stderr()). With stdin, the child
    gets a pipe and stop() closes it (the child's cue to exit); without,
    stop() sends SIGTERM."""

    def __init__(self, env, name, build, args=(), stdin=False):
        binary = os.environ.get(env)
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(f"{env} must name the {name} binary ({build}), or run `make py-test`")
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, *args], stdin=subprocess.PIPE if stdin else None,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)

    def first_line(self):
        """The first line the child prints ("" if none within START_TIMEOUT s)."""
        line = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        return line[0] if line else ""

    def stderr(self):
        """The end of what the child wrote to stderr."""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def stop(self):
        """Asks the child to exit, kills it after 30 s, and waits for it."""
        if self.proc.poll() is None:
            if self.proc.stdin:
                self.proc.stdin.close()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
