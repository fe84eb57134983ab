import numpy as np
import pytest

from fitscore_core.scorers.reps import key_rows, segment_reps


def clip(reps, fps=15.0, period_s=2.0, rest_s=1.0, noise=0.02, seed=0, rows=(2, 3, 16, 17),
         depth=-0.6):
    """Features at rest, then `reps` smooth excursions (a squat's: down), then rest again."""
    rng = np.random.default_rng(seed)
    n_rest, n_rep = round(rest_s * fps), round(period_s * fps)
    phase = np.concatenate([np.zeros(n_rest)] +
                           [(1 - np.cos(2 * np.pi * np.arange(n_rep) / n_rep)) / 2] * reps +
                           [np.zeros(n_rest)])
    values = rng.normal(0, noise, (30, len(phase)))
    for r in rows:
        values[r] += depth * phase
    return values, n_rest, n_rep


@pytest.mark.parametrize("n", [1, 3, 7, 10])
def test_counts_reps_and_places_them(n):
    values, n_rest, n_rep = clip(n)
    reps = segment_reps(values, 15.0, "squat")
    assert len(reps) == n
    for k, rep in enumerate(reps):
        expected_peak = n_rest + k * n_rep + n_rep // 2
        assert abs(rep.peak - expected_peak) <= 2
        assert rep.start < rep.peak < rep.end
    assert all(a.end == b.start for a, b in zip(reps, reps[1:]))
    assert reps[0].start >= n_rest - 4 and reps[-1].end <= n_rest + n * n_rep + 4


def test_still_clip_has_no_reps():
    values, _, _ = clip(0)
    assert segment_reps(values, 15.0, "squat") == []


def test_partial_rep_still_found():
    values, n_rest, n_rep = clip(1)
    cut = values[:, : n_rest + n_rep // 2 + 2]
    assert len(segment_reps(cut, 15.0, "squat")) == 1


def test_key_rows():
    assert key_rows("bicep_curl") == [8, 9, 14, 15, 6, 7, 12, 13]
    assert key_rows("my_new_exercise") == list(range(30))


def test_a_clip_that_starts_at_the_bottom_adds_no_rep():
    """Filming began mid-rep: the half rep at the start is no extra rep."""
    values, n_rest, n_rep = clip(3, rest_s=0.0)
    start = n_rep // 2                       # at the bottom of the first rep
    assert len(segment_reps(values[:, start:], 15.0, "squat")) == 2


def test_the_direction_comes_from_the_exercise():
    """A curl's turning point is the wrists' top, a squat's the body's bottom: each rep's
    peak sits there, whichever way the principal component happens to point."""
    wrists = (8, 9, 14, 15)                  # RWrist, LWrist x/y rows
    values, n_rest, n_rep = clip(2, rows=wrists, depth=0.6)
    reps = segment_reps(values, 15.0, "bicep_curl")
    assert len(reps) == 2
    assert all(values[9, r.peak] > 0.5 for r in reps)
    squat, _, _ = clip(2)
    assert all(squat[3, r.peak] < -0.5 for r in segment_reps(squat, 15.0, "squat"))


def test_a_joint_that_comes_and_goes_adds_no_rep():
    values, _, _ = clip(3)
    values[2:4, 10:14] = 0                   # the shoulder lost for a few frames
    values[2:4, 50:53] = 0
    assert len(segment_reps(values, 15.0, "squat")) == 3
