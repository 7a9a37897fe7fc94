"""A small disk of a test's own, which the test fills: a tmpfs mounted on a fresh directory.

    def test_full_disk(small_disk):
        database = small_disk.path / "press.db"
        ...
        small_disk.fill(leave=64 * 1024)   # fill the disk up to its last 64 KB
        small_disk.free()                  # and empty the filler again

Mounting needs root, as the suite runs in CI; elsewhere the test is skipped and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


class SmallDisk:
    def __init__(self, size_bytes: int) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="press-disk-"))
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0777", "tmpfs", str(self.path)],
                       check=True, capture_output=True)
        self.filler = self.path / "filler"

    def available(self) -> int:
        return shutil.disk_usage(self.path).free

    def fill(self, leave: int = 0) -> None:
        """Write a filler file until only `leave` bytes (rounded to pages) are free."""
        with self.filler.open("ab") as handle:
            while (room := self.available() - leave) > 0:
                try:
                    handle.write(b"\0" * min(room, 1 << 20))
                    handle.flush()
                except OSError:
                    break

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remove(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False, capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)


@pytest.fixture
def small_disk() -> Iterator[SmallDisk]:
    """An 8 MB tmpfs of the test's own, unmounted after."""
    if os.geteuid() != 0:
        pytest.fail("mounting a small disk needs root: run the suite as root, as CI does")
    disk = SmallDisk(8 * 1024 * 1024)
    try:
        yield disk
    finally:
        disk.remove()
