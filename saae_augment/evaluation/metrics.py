"""Generative-quality metrics as plain functions of tensors (rows = flattened images in [0, 1]).

Parzen-window log-likelihood follows Goodfellow et al. (2014) and Makhzani et al. (2015): a
Gaussian kernel of width sigma on every sample, sigma chosen on a validation set, the mean
log-likelihood of test images reported with its standard error. Squared distances are computed
once per test batch (|x|² + |s|² − 2x·s, one matrix product) and reused for every sigma.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

SIGMA_GRID = tuple(float(s) for s in np.logspace(-1, 0, 10))  # 0.1 … 1.0
BATCH = 1000


def squared_distances(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """All pairwise squared distances between rows of x and s, by the expanded form (one matmul)."""
    d = (x * x).sum(1, keepdim=True) + (s * s).sum(1)[None, :] - 2.0 * x @ s.T
    return d.clamp_min_(0.0)


def parzen_log_likelihoods(samples: torch.Tensor, data: torch.Tensor, sigmas: Sequence[float]) -> torch.Tensor:
    """len(sigmas) × len(data) log-likelihoods of each data row under the Parzen window of `samples`."""
    samples, data = samples.double(), data.double()
    n, d = samples.shape
    out = torch.empty(len(sigmas), len(data), dtype=torch.float64)
    for i in range(0, len(data), BATCH):
        dist = squared_distances(data[i : i + BATCH], samples)
        for k, sigma in enumerate(sigmas):
            out[k, i : i + BATCH] = (
                torch.logsumexp(-dist / (2 * sigma * sigma), dim=1)
                - math.log(n)
                - 0.5 * d * math.log(2 * math.pi * sigma * sigma)
            )
    return out


def parzen(samples: torch.Tensor, val: torch.Tensor, test: torch.Tensor, sigmas: Sequence[float] = SIGMA_GRID) -> dict:
    """Sigma chosen on `val`, then the mean test log-likelihood ± standard error (nats)."""
    val_ll = parzen_log_likelihoods(samples, val, sigmas).mean(1)
    best = int(torch.argmax(val_ll))
    sigma = sigmas[best]
    ll = parzen_log_likelihoods(samples, test, [sigma])[0]
    return {
        "ll": float(ll.mean()),
        "se": float(ll.std(unbiased=True) / math.sqrt(len(ll))) if len(ll) > 1 else float("nan"),
        "sigma": sigma,
        "sigma_on_grid_edge": best in (0, len(sigmas) - 1),
        "val_ll_by_sigma": {f"{s:.4f}": float(v) for s, v in zip(sigmas, val_ll, strict=True)},
    }


def nearest_neighbours(queries: torch.Tensor, reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-L2 distance to, and index of, each query's nearest reference row."""
    dists, idx = [], []
    for i in range(0, len(queries), BATCH):
        d = squared_distances(queries[i : i + BATCH].float(), reference.float())
        m, j = d.min(1)
        dists.append(m.sqrt())
        idx.append(j)
    return torch.cat(dists), torch.cat(idx)
