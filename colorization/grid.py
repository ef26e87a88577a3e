"""The ab grid the Q = 313 bins lie on: steps of ``GRID`` from -110 to 110 on both axes.
One home for going between ab values and grid cells (the bins' lookup table, the prior's
smoothing and the prior figure), free of torch so that figures need not load the bins."""

import numpy as np

GRID = 10
HALF = 11  # grid cells on each side of 0 that hold the bins (|a|, |b| <= 110)
GRID_AXIS = np.arange(-HALF * GRID, HALF * GRID + 1, GRID)  # the ab values of the grid: -110, ..., 110


def grid_cells(ab) -> tuple:
    """(row, column) of ab points on the grid (K, 2) in a (23, 23) array over ``GRID_AXIS``:
    a picks the row, b the column."""
    cells = np.rint(np.asarray(ab, dtype=np.float64) / GRID).astype(np.int64) + HALF
    return cells[:, 0], cells[:, 1]
