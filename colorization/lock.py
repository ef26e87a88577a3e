"""One training per workspace: an advisory lock file that names its holder.

The lock is an ``fcntl`` lock on ``models/train.lock``, so the kernel releases it
when its process ends, kill -9 included: a lock left by a dead run is simply taken
over. The file holds the PID of the run that holds it, so a refused second run can
say which process to wait for.
"""

import fcntl
import os
from pathlib import Path


class LockedError(SystemExit):
    pass


class TrainingLock:
    def __init__(self, path):
        self.path = Path(path)
        self._fd = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockedError(f"train: another training is running in this workspace (PID {holder}, lock "
                              f"{self.path}); wait for it to finish or stop it (kill {holder}), "
                              "then run again") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc):
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
        return False
