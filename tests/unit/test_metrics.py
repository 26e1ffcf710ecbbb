import math

import pytest
import torch

from saae_augment.evaluation.metrics import nearest_neighbours, parzen, parzen_log_likelihoods, squared_distances


def test_squared_distances_match_the_definition():
    g = torch.Generator().manual_seed(0)
    x, s = torch.rand(7, 5, generator=g), torch.rand(4, 5, generator=g)
    expected = ((x[:, None, :] - s[None, :, :]) ** 2).sum(-1)
    assert torch.allclose(squared_distances(x, s), expected, atol=1e-6)


def test_parzen_matches_a_direct_gaussian_mixture():
    samples = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    x = torch.tensor([[0.0, 0.0]])
    sigma = 0.5
    direct = math.log(
        0.5
        * sum(math.exp(-float(((x[0] - s) ** 2).sum()) / (2 * sigma**2)) / (2 * math.pi * sigma**2) for s in samples)
    )
    assert parzen_log_likelihoods(samples, x, [sigma])[0, 0].item() == pytest.approx(direct, rel=1e-9)


def test_a_set_scores_high_against_itself_and_low_against_noise():
    g = torch.Generator().manual_seed(1)
    data = (torch.rand(200, 64, generator=g) > 0.7).float()
    noise = torch.rand(200, 64, generator=g)
    own = parzen(data, data[:100], data[100:], sigmas=[0.05, 0.1, 0.2])
    other = parzen(noise, data[:100], data[100:], sigmas=[0.05, 0.1, 0.2])
    assert own["ll"] > other["ll"] + 50
    assert own["sigma"] == 0.05 and own["sigma_on_grid_edge"]


def test_nearest_neighbours_finds_exact_copies():
    g = torch.Generator().manual_seed(2)
    ref = torch.rand(50, 16, generator=g)
    d, idx = nearest_neighbours(ref[[3, 17, 42]], ref)
    assert idx.tolist() == [3, 17, 42] and torch.all(d < 1e-3)
