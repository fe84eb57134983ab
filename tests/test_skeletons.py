import numpy as np
import pytest

from fitscore_core.pose.skeletons import (
    BLAZEPOSE_33,
    BODY_25,
    COCO_18,
    MODEL_15,
    blazepose_to_body25,
    body25_to_coco18,
    coco18_to_body25,
    mirror_left_right,
    to_body25,
)


@pytest.mark.parametrize("layout", [BODY_25, COCO_18, BLAZEPOSE_33, MODEL_15])
def test_layout_is_consistent(layout):
    n = len(layout.joints)
    assert len(set(layout.joints)) == n
    assert len(layout.colors) == n
    assert all(0 <= a < n and 0 <= b < n and a != b for a, b in layout.limbs)
    # mirroring is an involution that maps every left joint to a right one and back
    assert all(layout.mirror[layout.mirror[j]] == j for j in range(n))


def test_body25_facts():
    assert len(BODY_25.joints) == 25 and len(BODY_25.limbs) == 24
    assert BODY_25.joints[:15] == MODEL_15.joints
    assert BODY_25.joints[BODY_25.mirror[BODY_25.index("RKnee")]] == "LKnee"
    assert BODY_25.mirror[BODY_25.index("MidHip")] == BODY_25.index("MidHip")
    # OpenPose draws a limb in the colour of its second joint: Neck-MidHip is MidHip's red
    assert BODY_25.limb_color((1, 8)) == (255, 0, 0)
    assert BODY_25.limb_color((13, 14)) == (0, 0, 255)
    assert all(max(limb) < 15 for limb in MODEL_15.limbs) and len(MODEL_15.limbs) == 14


def _blaze_frame(rng):
    kps = np.zeros((33, 3), np.float32)
    kps[:, :2] = rng.uniform(0, 500, (33, 2))
    kps[:, 2] = rng.uniform(0.5, 1.0, 33)
    return kps


def test_blazepose_to_body25_fills_every_point():
    blaze = _blaze_frame(np.random.default_rng(0))
    body = blazepose_to_body25(blaze)
    assert body.shape == (25, 3)
    assert (body[:, 2] > 0).all()
    name = BLAZEPOSE_33.joints.index
    np.testing.assert_allclose(body[BODY_25.index("RWrist")], blaze[name("right_wrist")])
    np.testing.assert_allclose(body[BODY_25.index("LBigToe")], blaze[name("left_foot_index")])
    np.testing.assert_allclose(body[BODY_25.index("LHeel")], blaze[name("left_heel")])
    np.testing.assert_allclose(body[BODY_25.index("Neck"), :2],
                               (blaze[name("left_shoulder"), :2]
                                + blaze[name("right_shoulder"), :2]) / 2, rtol=1e-6)
    np.testing.assert_allclose(body[BODY_25.index("MidHip"), :2],
                               (blaze[name("left_hip"), :2] + blaze[name("right_hip"), :2]) / 2,
                               rtol=1e-6)
    # small toe lies on the heel-to-toe segment
    heel, toe = blaze[name("right_heel"), :2], blaze[name("right_foot_index"), :2]
    small = body[BODY_25.index("RSmallToe"), :2]
    np.testing.assert_allclose(small, heel + 0.8 * (toe - heel), rtol=1e-5)


def test_missing_shoulder_makes_neck_missing():
    blaze = _blaze_frame(np.random.default_rng(1))
    blaze[BLAZEPOSE_33.joints.index("left_shoulder"), 2] = 0
    body = blazepose_to_body25(blaze)
    assert body[BODY_25.index("Neck"), 2] == 0
    assert (body[BODY_25.index("Neck"), :2] == 0).all()


def test_coco_round_trip_and_midhip():
    rng = np.random.default_rng(2)
    coco = np.concatenate([rng.uniform(0, 400, (18, 2)), np.ones((18, 1))], axis=1)
    body = coco18_to_body25(coco)
    np.testing.assert_allclose(body[8, :2], (coco[8, :2] + coco[11, :2]) / 2, rtol=1e-6)
    assert (body[19:, 2] == 0).all()  # feet unknown in COCO
    np.testing.assert_allclose(body25_to_coco18(body), coco, rtol=1e-6)


def test_to_body25_detects_layout_and_batches():
    rng = np.random.default_rng(3)
    batch = rng.uniform(0, 1, (4, 33, 3))
    assert to_body25(batch).shape == (4, 25, 3)
    assert to_body25(rng.uniform(0, 1, (2, 18, 3))).shape == (2, 25, 3)
    with pytest.raises(ValueError, match="20 joints"):
        to_body25(np.zeros((20, 3)))


def test_mirror_swaps_labels():
    kps = np.arange(75, dtype=np.float32).reshape(25, 3)
    swapped = mirror_left_right(kps)
    np.testing.assert_array_equal(swapped[BODY_25.index("RHip")], kps[BODY_25.index("LHip")])
    np.testing.assert_array_equal(mirror_left_right(swapped), kps)
