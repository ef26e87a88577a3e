"""Progress of long loops: a tqdm bar on a terminal, and elsewhere (CI logs, nohup,
``make ... > log``) a plain line every few seconds, which a bar would not print at all."""

import os
import sys
import time

EVERY_ENV = "COLORIZATION_PROGRESS_SECONDS"


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    return f"{minutes} min {s:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """``update(n, **values)`` after each step; ``values`` (loss, img_s...) are shown with it."""

    def __init__(self, total, desc, initial=0, unit="it", every=None, enabled=True, stream=None):
        self.total, self.desc, self.unit, self.done = total, desc, unit, initial
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.every = float(os.environ.get(EVERY_ENV, every or 30))
        self.values, self._start, self._start_done = {}, time.perf_counter(), initial
        self._last, self._printed = self._start, False
        self._bar = None
        if enabled and self.stream.isatty():
            from tqdm import tqdm

            # smoothing 0.05: the rate (and the time left) averages over many steps, so a moment of
            # load on a shared machine does not swing the estimate (tqdm's default 0.3 does)
            self._bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, mininterval=2, file=self.stream,
                             smoothing=0.05)

    def update(self, n=1, **values):
        self.done += n
        self.values.update(values)
        if self._bar is not None:
            self._bar.update(n)
            if values:
                self._bar.set_postfix(self.values, refresh=False)
        elif self.enabled and time.perf_counter() - self._last >= self.every:
            self._print()

    def line(self) -> str:
        """The time left is estimated from the mean rate since this run started, not from the
        last interval alone: one slow step under load moves it little."""
        elapsed = time.perf_counter() - self._start
        rate = (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.desc}: {self.done}/{self.total} {self.unit}"]
        parts += [f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.values.items()]
        if rate > 0:
            parts.append(f"{rate:.3g} {self.unit}/s")
            parts.append(f"{_duration((self.total - self.done) / rate)} left")
        return ", ".join(parts)

    def _print(self):
        print(self.line(), file=self.stream, flush=True)
        self._last, self._printed = time.perf_counter(), True

    def close(self):
        """Close the bar; without one, a last line if the loop was long enough to print any."""
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and self._printed:
            self._print()
