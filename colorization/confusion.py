"""The reproduction's confusion analysis (section 5.4, Figures 5 and 6), in one place.

C[i, j] is the share of images of true class i that have class j among their top
five predictions. Comparing C for colourized images with C for the ground truth
shows which confusions colourization makes more likely; Figure 6 shows the images
of the most amplified pair that are confused only after colourization.
"""

import numpy as np


def topk_confusion(top: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """C[i, j] = share of images of class i that have class j among their top k (``top``
    from ``metrics.topk_classes``). The diagonal is per-class top-k accuracy; each row sums to k
    when the scores cover every class. Rows of classes without images are NaN."""
    top, labels = np.asarray(top), np.asarray(labels)
    hits = np.zeros((n_classes, n_classes))
    np.add.at(hits, (np.repeat(labels, top.shape[1]), top.ravel()), 1.0)
    per_class = np.bincount(labels, minlength=n_classes).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / per_class[:, None]


def amplified_confusions(c_gt: np.ndarray, c_col: np.ndarray, row_names, col_names=None, own_column=None, top=10):
    """Confusion entries that colourization raised most: C_col - C_gt, largest first.

    Matrices are (rows, columns): rows are true classes, columns predicted ones (the same
    classes, or e.g. all 1000 ImageNet classes); ``own_column[r]`` is row r's own column,
    left out as it is accuracy, not confusion (default: the diagonal).
    """
    col_names = row_names if col_names is None else col_names
    own_column = range(len(row_names)) if own_column is None else own_column
    diff = np.nan_to_num(np.asarray(c_col, float) - np.asarray(c_gt, float), nan=-np.inf)
    diff[np.arange(len(diff)), list(own_column)] = -np.inf
    rows = []
    for flat in np.argsort(-diff, axis=None, kind="stable")[:top]:
        i, j = np.unravel_index(flat, diff.shape)
        if not np.isfinite(diff[i, j]):
            break
        rows.append({"true": row_names[i], "confused_with": col_names[j], "c_gt": float(c_gt[i, j]),
                     "c_colourized": float(c_col[i, j]), "increase": float(diff[i, j])})
    return rows


def off_diagonal(c_gt: np.ndarray, c_col: np.ndarray, rows, own_column):
    """Figure 5's points: every (true row, predicted column) entry except each row's own
    column where either matrix is non-zero -> (row index, column index, c_gt, c_col) arrays."""
    c_gt, c_col = np.asarray(c_gt, float)[rows], np.asarray(c_col, float)[rows]
    mask = (np.nan_to_num(c_gt) > 0) | (np.nan_to_num(c_col) > 0)
    mask[np.arange(len(rows)), list(own_column)] = False
    r, c = np.nonzero(mask)
    return np.asarray(rows)[r], c, c_gt[r, c], c_col[r, c]


def confused_only_after(top_gt: np.ndarray, top_col: np.ndarray, labels: np.ndarray, true: int, other: int):
    """Figure 6's images: those of class ``true`` that have ``other`` among their top k
    after colourization but not on the ground truth. Returns their row indices."""
    in_col = (np.asarray(top_col) == other).any(1)
    in_gt = (np.asarray(top_gt) == other).any(1)
    return np.nonzero((np.asarray(labels) == true) & in_col & ~in_gt)[0]
