"""Real-footage conditions in the synthesizer: hidden far-side joints, framings that cut the
body, idle ends, movements that are no exercise."""

import numpy as np
import pytest

from fitscore_core.features import normalize
from fitscore_core.pose.cleaning import fill_gaps, smooth
from fitscore_core.synth import conditions
from fitscore_core.synth.dataset import RealWorld, generate_dataset
from fitscore_core.synth.exercises import UNKNOWN, ClipSpec, generate_motion
from fitscore_core.synth.moves.other import NON_EXERCISES
from fitscore_core.synth.views import fit_camera, project_keypoints

L_ELBOW, L_SHOULDER = 6, 5


def curl_seen_from(yaw: float, seed: int = 0) -> np.ndarray:
    """Mean confidence per joint of a curl filmed at `yaw` (+90: the subject's left faces the
    camera, so the right arm is the far one)."""
    m = generate_motion(ClipSpec("bicep_curl", reps=2, seed=seed))
    cam = fit_camera(m.joints3d, yaw_deg=yaw, pitch_deg=5, fps=m.fps)
    kps, depth = project_keypoints(cam, m.joints3d)
    conf = conditions.occluded_confidence(kps, depth, np.random.default_rng(0), 0.9, 0.05)
    return conf.mean(axis=0)


def test_the_far_arm_is_hidden_from_the_side_but_not_from_45_degrees():
    side, diagonal = curl_seen_from(90.0), curl_seen_from(45.0)
    r_elbow, r_wrist = 3, 4
    assert side[r_elbow] < 0.3 and side[r_wrist] < 0.3           # hidden: below the threshold
    assert side[L_ELBOW] > 0.8                                    # the near arm is seen
    assert diagonal[r_elbow] > 0.5                                # apart in the picture: seen
    assert side[2] > 0.8 and side[L_SHOULDER] > 0.8              # shoulders are kept


def test_a_cut_frame_loses_the_joints_below_it():
    kps = np.zeros((3, 25, 3), np.float32)
    kps[..., 1] = np.linspace(10, 470, 25)
    kps[..., 0] = 300
    kps[..., 2] = 0.9
    cut, size = conditions.cut_frame(kps, (640, 480), bottom_y=240.0)
    assert size == (640, 240)
    below = kps[0, :, 1] >= 240
    assert (cut[:, below, 2] == 0).all() and (cut[:, ~below, 2] == 0.9).all()


def framings(exercise: str, yaw: float, pitch: float, lying: bool, seed: int):
    """(camera, [(keypoints, size, framing name)] x 60) of a 2-rep clip of the exercise."""
    rng = np.random.default_rng(seed)
    m = generate_motion(ClipSpec(exercise, reps=2, seed=seed))
    cam = fit_camera(m.joints3d, yaw_deg=yaw, pitch_deg=pitch, fps=m.fps)
    kps, _ = project_keypoints(cam, m.joints3d)
    return cam, [conditions.random_framing(kps, (cam.width, cam.height), exercise, lying, rng)
                 for _ in range(60)]


def test_upper_body_framings_cut_the_legs_of_curls():
    cam, framed = framings("bicep_curl", 0, 5, False, seed=1)
    names = set()
    for out, size, name in framed:
        names.add(name)
        if name in conditions.CUTS:
            assert size[1] < cam.height and (out[:, 11, 2] == 0).all()   # no right ankle
        if name == "hips":                          # cut at the hips: the knees are gone too
            assert (out[:, [10, 13], 2] == 0).all() and (out[:, [2, 5], 2] > 0).all()
    assert {"whole"} < names and names & set(conditions.CUTS)


def test_lying_framings_cut_the_feet_at_one_side_of_push_ups():
    cam, framed = framings("push_up", 90, 15, True, seed=3)
    names = set()
    for out, size, name in framed:
        names.add(name)
        if name.startswith("lying-"):
            assert size[0] < cam.width and size[1] == cam.height      # cut at a side
            assert (out[:, [11, 14], 2] == 0).all()                   # no ankle in the frame
            assert (out[:, [1, 2, 5], 2] > 0).all()                   # neck and shoulders kept
    assert {"lying-knees", "lying-shins"} & names and "whole" in names
    assert not names & set(conditions.CUTS)                           # never cut at the hips


def test_mediapipe_like_noise_loses_frames_and_swaps_more_from_behind():
    from fitscore_core.synth.noise import NoiseParams, apply_noise, facing_away
    t = 3000
    kps = np.zeros((t, 25, 3), np.float32)
    kps[..., 0] = np.linspace(200, 400, 25)
    kps[..., 1] = np.linspace(100, 400, 25)
    kps[..., 2] = 1.0
    front = np.full((t, 25), 3.0, np.float32)
    front[:, 0] = 2.9                                  # nose nearer than the neck: facing us
    behind = front.copy()
    behind[:, 0] = 3.1                                 # nose farther: filmed from behind
    assert facing_away(front) == 0.0 and facing_away(behind) == 1.0
    p = NoiseParams(jitter=0.0, drop_rate=0.0, swap_rate=0.004, frame_loss=0.02,
                    behind_factor=5.0, bias=0.01)

    def run(depth):
        out = apply_noise(kps, depth, np.random.default_rng(0), p)
        lost = (out[..., 2] == 0).all(axis=1)
        return out, lost.mean()

    out_front, lost_front = run(front)
    _, lost_behind = run(behind)
    assert 0.005 < lost_front < 0.05 and lost_behind > 3 * lost_front
    # the bias is one offset per joint for the whole clip: constant where nothing was swapped
    found = out_front[..., 2] > 0
    nose = out_front[found[:, 0], 0, 0] - kps[0, 0, 0]
    assert np.median(np.abs(nose - np.median(nose))) < 1e-3 and abs(np.median(nose)) > 0


def test_idle_ends_hold_the_first_and_last_pose():
    joints = np.random.default_rng(0).normal(size=(30, 25, 3))
    rng = next(np.random.default_rng(s) for s in range(100)
               if np.random.default_rng(s).random() >= 0.5)
    held, lead = conditions.hold_ends(joints, 30.0, rng)
    assert len(held) >= len(joints) and np.array_equal(held[lead:lead + 30], joints)
    assert (held[:lead] == joints[0]).all() and (held[lead + 30:] == joints[-1]).all()


@pytest.mark.parametrize("name", sorted(NON_EXERCISES))
def test_every_non_exercise_movement_is_a_finite_moving_body(name):
    m = generate_motion(ClipSpec(name, reps=2, seed=4))
    assert np.isfinite(m.joints3d).all() and m.faults == {}
    assert np.ptp(m.joints3d[:, :15], axis=0).max() > 0.05     # something moves


def test_real_world_data_sets_label_non_exercises_unknown_without_score():
    ds = generate_dataset(80, seed=2, real_world=RealWorld(unknown_share=0.3))
    unknown = ds.exercise == UNKNOWN
    assert 10 < unknown.sum() < 40
    assert np.isnan(ds.score[unknown]).all() and not np.isnan(ds.score[~unknown]).any()
    assert np.isnan(ds.fault_severity[unknown]).all()
    again = generate_dataset(80, seed=2, real_world=RealWorld(unknown_share=0.3), workers=2)
    assert np.array_equal(ds.keypoints, again.keypoints)


def test_real_world_clips_go_through_the_features():
    """Cut, hidden and tilted clips still normalize (or are refused, never crash)."""
    ds = generate_dataset(60, seed=8, real_world=RealWorld())
    found = []
    for i in range(len(ds)):
        feats = normalize(smooth(fill_gaps(ds.pose_sequence(i))))
        assert np.isfinite(feats.values).all()
        found.append(feats.found.mean())
    assert min(found) < 0.9 < max(found)      # some clips lose joints, others keep them all
