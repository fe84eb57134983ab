"""The upper-body COCO-18 test set (bench upper-coco): clips cut from the waist or knees up,
without feet or frame size, as COCO-18 JSON imports them; a table per exercise and model."""

import numpy as np

from fitscore_core.analysis import load_scorers
from fitscore_core.bench.upper_coco import format_upper_coco, run_upper_coco, upper_coco_examples
from fitscore_core.synth.conditions import UPPER_BODY


def test_examples_are_upper_body_clips_cut_above_the_ankles():
    examples = upper_coco_examples(12, seed=3)
    assert examples and {e.exercise for e in examples} <= set(UPPER_BODY)
    ankles = []
    for e in examples:
        rows = e.values.reshape(15, 2, -1)
        ankles.append((rows[[11, 14]] != 0).any(axis=1).mean())
        assert ankles[-1] <= 0.6                      # a tilted phone may keep one ankle
        assert rows[[2, 5]].any()                     # shoulders seen
        hips, mid = rows[[9, 12]], rows[8]
        both = (hips != 0).all(axis=(0, 1))
        if both.mean() > 0.5:                   # hips in view (not at the cut): MidHip is theirs
            gap = np.abs(mid[:, both] - hips[:, :, both].mean(axis=0))
            assert np.median(gap) < 1e-4 and np.percentile(gap, 90) < 0.01
    assert np.mean(ankles) < 0.1                      # the cut is below the knees at most


def test_table_has_each_exercise_for_each_model():
    table = run_upper_coco(load_scorers(), n=12, seed=3)
    assert [r.exercise for r in table] == list(UPPER_BODY)
    assert sum(r.clips for r in table) == len(upper_coco_examples(12, seed=3))
    for r in table:
        assert set(r.accuracy) == {"cnn1d", "lstm"}
        assert all(0.0 <= a <= 1.0 for a in r.accuracy.values())
        for name in r.answers:
            assert sum(r.answers[name].values()) == r.clips
    text = format_upper_coco(table)
    assert text.count("\n") == 1 + 2 * len(UPPER_BODY)
