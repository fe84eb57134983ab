"""What an exercise model is: its faults (with the joints each one moves) and its builder.

    >>> from fitscore_core.synth.motion_model import FaultSpec, joint_set
    >>> f = FaultSpec("knees_caving_in", "Knees collapse inward.", ("RKnee", "LKnee"))
    >>> f.affected == ("RKnee", "LKnee"), joint_set("ARMS")[:3]
    (True, ('RShoulder', 'RElbow', 'RWrist'))

A fault is a perturbation of specific joint rotations or targets. `joints` are the joints it
visibly moves (a clear margin at severity 1); `affected` adds every joint kinematically
downstream of them. For the same seed, a faulty clip differs from the good clip only in
`affected` joints: all others are identical, which the tests check for every fault.
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.synth.body import BodyShape, Pose, Segments
from fitscore_core.synth.timing import RepTiming

_GROUPS: dict[str, tuple[str, ...]] = {
    "HEAD": ("Nose", "REye", "LEye", "REar", "LEar"),
    "ARMS": ("RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist"),
    "FOREARMS": ("RElbow", "RWrist", "LElbow", "LWrist"),
    "WRISTS": ("RWrist", "LWrist"),
    "HIPS": ("MidHip", "RHip", "LHip"),
    "KNEES": ("RKnee", "LKnee"),
    "FEET": ("RAnkle", "LAnkle", "RHeel", "LHeel", "RBigToe", "LBigToe", "RSmallToe",
             "LSmallToe"),
}
_GROUPS["UPPER"] = ("Neck",) + _GROUPS["ARMS"] + _GROUPS["HEAD"]
_GROUPS["LEGS"] = _GROUPS["HIPS"] + _GROUPS["KNEES"] + _GROUPS["FEET"]
_GROUPS["ALL"] = BODY_25.joints
_GROUPS["ABOVE_FEET"] = tuple(j for j in BODY_25.joints if j not in _GROUPS["FEET"])


def joint_set(*names: str) -> tuple[str, ...]:
    """Union of joint groups (HEAD, ARMS, UPPER, LEGS, FEET, ALL, ...) and joint names, BODY_25 order."""
    wanted: set[str] = set()
    for n in names:
        wanted.update(_GROUPS.get(n, (n,)))
    unknown = wanted - set(BODY_25.joints)
    if unknown:
        raise ValueError(f"unknown joints {sorted(unknown)}")
    return tuple(j for j in BODY_25.joints if j in wanted)


@dataclass(frozen=True)
class FaultSpec:
    """One thing a coach would correct. joints: what it moves; affected: those + downstream."""

    name: str
    description: str
    joints: tuple[str, ...]
    affected: tuple[str, ...] = ()

    def __post_init__(self):
        joints = joint_set(*self.joints)
        affected = joint_set(*(self.affected or self.joints), *joints)
        object.__setattr__(self, "joints", joints)
        object.__setattr__(self, "affected", affected)


@dataclass(frozen=True)
class MoveContext:
    """Everything a move builder reads. sev[fault]: (T,) severity trace, zeros when absent.

    rng is for the person's style (stance, arm position, sway). Builders draw the same
    numbers whatever the faults are, so faulty and good clips of one seed share everything
    the faults do not touch.
    """

    body: BodyShape
    seg: Segments
    timing: RepTiming
    sev: Mapping[str, np.ndarray]
    rng: np.random.Generator


@dataclass(frozen=True)
class ExerciseModel:
    """A motion model: how the exercise is done, what can go wrong, how it is timed.

    rep_seconds: natural duration range of one rep; tempo_ok: the range the rubric accepts
    without a tempo penalty; out_fraction: share of a rep spent going out (down / up);
    pauses in seconds (ranges). views: good camera yaws in degrees (0 front, ±90 side), the
    first being the default; a yaw listed twice is sampled twice as often.
    exclusive: fault pairs that contradict each other and cannot be combined.
    """

    name: str
    description: str
    faults: tuple[FaultSpec, ...]
    build: Callable[[MoveContext], Pose]
    rep_seconds: tuple[float, float]
    tempo_ok: tuple[float, float]
    out_fraction: float = 0.5
    pause_bottom_s: tuple[float, float] = (0.0, 0.3)
    pause_top_s: tuple[float, float] = (0.2, 0.8)
    lying: bool = False
    views: tuple[float, ...] = (0.0, 45.0)
    exclusive: tuple[tuple[str, str], ...] = field(default=())

    @property
    def fault_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.faults)

    def fault(self, name: str) -> FaultSpec:
        for f in self.faults:
            if f.name == name:
                return f
        raise KeyError(name)
