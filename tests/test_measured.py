"""Faults measured on the skeleton: the body line of a push-up read off the frames, per rep,
only from the views that show it, capping the rep's score by the rubric's points and told
as the cue with the angle measured. Clips are the synthesizer's push-ups, noise-free, with a
known fault; the scorers are the fixed stand-ins of test_honest_analysis."""

import numpy as np
import pytest
from test_honest_analysis import fixed_scorer

from fitscore_core.analysis import analyze_sequence, finite_mean
from fitscore_core.bench.measured import calibrate, format_calibration
from fitscore_core.compare.measured import (
    FLAG,
    MEASURES,
    MeasuredFault,
    body_line_deviation,
    ceilings,
    highest,
    lowest,
    measurable,
    measure_faults,
    rep_value,
)
from fitscore_core.features import normalize
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import MODEL_15
from fitscore_core.synth.body import BodyShape
from fitscore_core.synth.exercises import ClipSpec, generate_motion
from fitscore_core.synth.views import fit_camera, project_keypoints
from fitscore_core.verdict import fault_cue, make_verdict

FPS = 30.0


def clip(exercise: str, faults: dict[str, float] | None = None, yaw: float = 90.0
         ) -> PoseSequence:
    """Three reps of an average adult, filmed from `yaw` (90: the side), noise-free."""
    motion = generate_motion(ClipSpec(exercise, faults or {}, reps=3, fps=FPS, seed=3,
                                      body=BodyShape()))
    pitch = 15.0 if motion.model.lying else 5.0
    camera = fit_camera(motion.joints3d, yaw, pitch, FPS)
    keypoints, _ = project_keypoints(camera, motion.joints3d)
    return PoseSequence(keypoints, FPS, (camera.width, camera.height), source=exercise)


def push_up(faults: dict[str, float] | None = None, yaw: float = 90.0) -> PoseSequence:
    return clip("push_up", faults, yaw)


def rep_spans(seq: PoseSequence) -> list[tuple[int, int]]:
    third = seq.n_frames // 3
    return [(0, third), (third, 2 * third), (2 * third, seq.n_frames)]


def measured_of(exercise: str, faults: dict[str, float] | None, yaw: float
                ) -> tuple[MeasuredFault, ...]:
    seq = clip(exercise, faults, yaw)
    f = normalize(seq)
    view = "front" if yaw == 0 else "side" if abs(yaw) == 90 else "diagonal"
    return measure_faults(exercise, view, f.values, f.found, rep_spans(seq))


def measured(seq: PoseSequence, view: str) -> tuple[MeasuredFault, ...]:
    f = normalize(seq)
    return measure_faults("push_up", view, f.values, f.found, rep_spans(seq))


def test_the_body_line_is_signed_toward_the_floor_and_missing_where_a_joint_is_unseen():
    xy, found = np.zeros((30, 2)), np.zeros((15, 2), bool)
    for j, (x, y) in {2: (0, 0.5), 9: (1, 0.5), 11: (2, 0.5)}.items():   # a straight plank
        xy[2 * j], xy[2 * j + 1], found[j] = x, y, True                 # (no knee seen)
    xy[19, 1] = 0.3                                   # frame 1: the right hip drops (y up)
    found[11, 0] = False                              # frame 0: the right ankle is not seen
    right = body_line_deviation(xy, found, "R")
    assert np.isnan(right[0]) and right[1] > 20
    mirrored = xy.copy()
    mirrored[0::2] *= -1                              # facing the other way: still a sag
    assert body_line_deviation(mirrored, found, "R")[1] == pytest.approx(right[1])


def test_a_rep_seen_in_too_few_frames_is_not_measured_and_the_lean_picks_the_side():
    sag = MEASURES["push_up"][0]
    signal = np.array([20.0, -5, 25, 18, np.nan, np.nan, np.nan, np.nan])
    size, side = rep_value(sag, signal, 0, 4)
    assert side == 1 and 20 <= size <= 25
    assert rep_value(sag, -signal, 0, 4) == (size, -1)   # the same size, the other way
    assert rep_value(sag, signal, 2, 8) is None          # 1 of 6 frames measured
    assert rep_value(sag, signal, 3, 3) is None
    ramp = np.arange(11.0)
    assert highest(ramp) == (9.0, 0) and lowest(ramp) == (1.0, 0)


def test_sagging_and_piked_hips_are_measured_from_the_side_and_a_good_plank_passes():
    good, sag, pike = (measured(push_up(f), "side") for f in
                       ({}, {"sagging_hips": 1.0}, {"piked_hips": 1.0}))
    assert [f.rep for f in good] == [0, 1, 2] and all(f.severity < FLAG for f in good)
    assert {f.fault for f in sag} == {"sagging_hips"} and all(f.severity >= FLAG for f in sag)
    assert {f.fault for f in pike} == {"piked_hips"} and all(f.severity >= FLAG for f in pike)
    assert min(f.value for f in sag) > max(f.value for f in good) + 5
    weight = {m.fault: m.weight for m in MEASURES["push_up"]}
    for f in sag + pike:
        assert f.points == pytest.approx(weight[f.fault] * f.severity)
        assert "straight body line" in f.describe() and f.describe().startswith(
            f"{f.value:.0f}°")


def test_nothing_is_measured_from_a_view_that_cannot_show_it():
    front = push_up({"sagging_hips": 1.0}, yaw=0.0)
    assert measurable("push_up", "front") == () and measured(front, "front") == ()
    assert measurable("push_up", "side") == ("sagging_hips", "piked_hips")
    assert measurable("squat", "side") == ("insufficient_depth",)
    assert measurable("lunge", "side") == () and measurable("push_up", "unknown") == ()


def test_a_clip_without_reps_is_measured_whole_and_ceilings_subtract_the_points():
    seq = push_up({"sagging_hips": 1.0})
    f = normalize(seq)
    whole = measure_faults("push_up", "side", f.values, f.found, [])
    assert len(whole) == 1 and whole[0].rep is None
    faults = (MeasuredFault("sagging_hips", 0, 12, 0.5, 17.5, ""),
              MeasuredFault("piked_hips", 2, 20, 1.0, 25.0, ""))
    assert ceilings(faults, 3) == [82.5, 100.0, 75.0]
    assert ceilings(whole, 0) == [100.0 - whole[0].points]


@pytest.fixture(scope="module")
def scorers():
    # both models sure of a push-up, scoring 80, flagging sagging hips at 90 % in every clip
    flags = {"push_up.sagging_hips": 0.9, "push_up.head_dropping": 0.9}
    return {n: fixed_scorer(n, {"push_up": 0.95}, 80.0, flags) for n in ("cnn1d", "lstm")}


def test_the_score_is_capped_by_the_measured_faults_and_the_cue_says_the_angle(scorers):
    a = analyze_sequence(push_up({"sagging_hips": 1.0}), scorers)
    assert a.exercise == "push_up" and a.view.view == "side" and a.reps
    models = finite_mean(p.score for p in a.predictions.values())
    tops = ceilings(a.measured, len(a.reps))
    assert all(t < models for t in tops)              # every rep sags past the models' 80
    assert a.rep_scores == pytest.approx(tops)
    assert a.score == pytest.approx(np.mean(tops)) and a.score < models
    v = make_verdict(a)
    assert v.score == round(a.score) and [r.score for r in v.reps] == [round(t) for t in tops]
    first = v.cues[0]
    assert first.fault == "sagging_hips" and first.source == "measured"
    assert first.text == fault_cue("push_up", "sagging_hips").cue
    said = first.say()
    assert "measured: up to" in said and "out of a straight body line, hips low" in said
    assert first.reps == tuple(range(1, len(a.reps) + 1))
    data = a.to_json()
    assert data["score"] == pytest.approx(a.score, abs=0.01)
    assert {f["fault"] for f in data["measured_faults"]} == {"sagging_hips"}
    assert [f["rep"] for f in data["measured_faults"]] == list(range(1, len(a.reps) + 1))


def test_a_straight_plank_overrules_the_models_flag_and_keeps_their_score(scorers):
    a = analyze_sequence(push_up(), scorers)
    assert a.measured and all(f.severity < FLAG for f in a.measured)
    assert a.score == pytest.approx(80.0)             # no ceiling under the models' score
    faults = [c.fault for c in make_verdict(a).cues]
    assert "sagging_hips" not in faults               # measured straight: not said
    assert "head_dropping" in faults                  # not measured: the models' flag stands


def test_from_the_front_the_models_decide_alone(scorers):
    a = analyze_sequence(push_up({"sagging_hips": 1.0}, yaw=0.0), scorers)
    assert a.view.view == "front" and a.measured == ()
    assert a.score == pytest.approx(80.0)
    assert "measured" not in {c.source for c in make_verdict(a).cues}


def test_the_calibration_reads_tolerance_below_full_on_synthetic_reps():
    rows = calibrate(n=150, seed=5, exercises=("push_up", "front_raise"))
    scale = {(m.exercise, m.fault): m.scale for ms in MEASURES.values() for m in ms}
    assert {r.exercise for r in rows} == {"push_up", "front_raise"}
    for r in rows:
        assert r.view in scale[(r.exercise, r.fault)]     # only the views it is read from
        assert r.good_reps > 0 and np.isfinite(r.tolerance)
        if r.faulty_reps >= 10:
            assert r.full > r.tolerance and r.rho > 0
    table = format_calibration(rows)
    assert table.count("\n") == len(rows) + 1 and "tolerance" in table


@pytest.mark.parametrize("exercise, fault, yaw", [
    ("squat", "insufficient_depth", 90.0), ("bicep_curl", "elbow_drift_forward", 90.0),
    ("front_raise", "bent_elbows", 90.0),
    ("front_raise", "arms_too_high", 90.0)])
def test_each_measured_fault_tells_a_faulty_rep_from_a_good_one(exercise, fault, yaw):
    good = [f for f in measured_of(exercise, {}, yaw) if f.fault == fault]
    bad = [f for f in measured_of(exercise, {fault: 1.0}, yaw) if f.fault == fault]
    assert len(good) == len(bad) == 3
    assert all(f.severity == 0 for f in good) and all(f.severity >= FLAG for f in bad)
    assert min(f.value for f in bad) > max(f.value for f in good) + 20


def test_views_that_cannot_show_a_fault_or_read_it_badly_are_not_measured():
    assert measurable("squat", "front") == measurable("bicep_curl", "front") == ()
    assert all(measurable("shoulder_press", v) == () for v in ("front", "side", "diagonal"))
    assert measurable("front_raise", "front") == ()      # the arm points at the lens


def test_a_slight_measured_bend_is_said_when_a_model_flags_it_too():
    seq = push_up({"sagging_hips": 0.75})
    slight = [f for f in measured(seq, "side") if f.fault == "sagging_hips"]
    assert slight and all(0 < f.severity < FLAG for f in slight)
    for flag, said in ((0.9, True), (0.1, False)):
        models = {n: fixed_scorer(n, {"push_up": 0.95}, 95.0, {"push_up.sagging_hips": flag})
                  for n in ("cnn1d", "lstm")}
        cues = make_verdict(analyze_sequence(seq, models)).cues
        assert ("sagging_hips" in [c.fault for c in cues]) is said, flag


def test_the_synthetic_effect_compares_the_capped_score_with_the_models_mean():
    from fitscore_core.analysis import load_scorers
    from fitscore_core.bench.measured import format_effect, synthetic_effect
    table = synthetic_effect(load_scorers(), n=24, seed=3)
    assert "all" in table and table["all"]["clips"] == sum(
        r["clips"] for e, r in table.items() if e != "all")
    for r in table.values():
        assert all(np.isfinite(v) for v in r["mae"]) and r["measured"] <= r["clips"]
    assert format_effect(table).count("\n") == len(table) + 1


def _plank(**joints) -> tuple[np.ndarray, np.ndarray]:
    """One frame, y up, with only these joints seen."""
    xy, found = np.zeros((30, 1)), np.zeros((15, 1), bool)
    for name, (x, y) in joints.items():
        j = MODEL_15.joints.index(name)
        xy[2 * j], xy[2 * j + 1], found[j] = x, y, True
    return xy, found


def test_the_line_runs_to_the_ankle_and_the_knee_stands_in_for_an_unseen_one():
    # a sagging push-up: the knee on the straight leg, half way up from the ankle
    toes = {"RShoulder": (0, 0.6), "RHip": (1.2, 0.2), "RKnee": (2.1, 0.1),
            "RAnkle": (3.0, 0.0)}
    xy, found = _plank(**toes)
    bent_knee = {**toes, "RKnee": (2.1, 0.5)}             # the knee alone moved off the leg
    assert body_line_deviation(*_plank(**bent_knee), "R")[0] == pytest.approx(
        body_line_deviation(xy, found, "R")[0])         # the ankle's line: the knee unused
    sag = body_line_deviation(xy, found, "R")[0]
    assert sag > 10
    found[MODEL_15.joints.index("RAnkle")] = False
    assert body_line_deviation(xy, found, "R")[0] == pytest.approx(sag)
    # filmed from the head end: a thigh far shorter than the trunk points at the lens
    end_on = xy.copy()
    end_on[2 * MODEL_15.joints.index("RKnee"):][:2] = [[1.4], [0.1]]
    assert np.isnan(body_line_deviation(end_on, found, "R")[0])
    found[MODEL_15.joints.index("RKnee")] = False
    assert np.isnan(body_line_deviation(xy, found, "R")[0])
