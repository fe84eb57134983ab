"""A 3D kinematic person with all 25 BODY_25 joints, driven by joint rotations over time.

    >>> import numpy as np
    >>> from fitscore_core.synth.body import BodyShape, Pose, forward_kinematics, random_body
    >>> body = BodyShape(height=1.80)
    >>> pose = Pose.standing(body, n_frames=4)
    >>> joints = forward_kinematics(body, pose)           # (T, 25, 3) world metres
    >>> joints.shape, round(float(joints[0, 14, 1] - joints[0, 21, 1]), 3)  # LAnkle above LHeel
    ((4, 25, 3), 0.07)
    >>> 1.5 <= random_body(np.random.default_rng(0)).height <= 1.95
    True

World frame as in camera.py: metres, y up, ground y = 0, subject faces +z, x = subject's left.
The tree: pelvis (root, at MidHip) -> lumbar -> thorax -> neck -> head, thorax -> arms,
pelvis -> legs -> feet. Each segment's rotation is its parent's times a local rotation, or
an explicit world rotation when a move pins it (a planted foot, a hand on the floor): either
way every bone keeps its length, so the skeleton stays the same person in every frame.
Segment lengths follow Drillis & Contini's fractions of stature, scaled per person.
"""

import functools
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.synth.kinematics import apply, compose, identity

J = {name: i for i, name in enumerate(BODY_25.joints)}

HEIGHT_RANGE = (1.50, 1.95)
SCALE_RANGE = (0.90, 1.10)

# Rotations a Pose may carry, each with its parent (the pelvis is the root, set by root_rot).
SEGMENT_PARENT = {
    "lumbar": "pelvis", "thorax": "lumbar", "neck": "thorax", "head": "neck",
    "r_upper_arm": "thorax", "r_forearm": "r_upper_arm",
    "l_upper_arm": "thorax", "l_forearm": "l_upper_arm",
    "r_thigh": "pelvis", "r_shank": "r_thigh", "r_foot": "r_shank",
    "l_thigh": "pelvis", "l_shank": "l_thigh", "l_foot": "l_shank",
    # the shoulder girdle only moves the shoulder point (shrug, protraction); the arm's own
    # frame hangs from the thorax, so a shrug does not tilt the arms.
    "r_clavicle": "thorax", "l_clavicle": "thorax",
}


@dataclass(frozen=True)
class BodyShape:
    """One synthetic person. Scales are relative to an average adult of the same height.

    leg_scale lengthens thigh and shank; the trunk and head take up the rest of the height,
    so `height` stays the standing height. flexibility (0 stiff .. 1 very mobile) lets the
    moves reach deeper squats, lower push-ups and fuller overhead positions.
    """

    height: float = 1.75
    arm_scale: float = 1.0
    leg_scale: float = 1.0
    shoulder_scale: float = 1.0
    hip_scale: float = 1.0
    flexibility: float = 0.5

    def __post_init__(self):
        lo, hi = HEIGHT_RANGE
        if not lo <= self.height <= hi:
            raise FitScoreError(f"body height must be between {lo} and {hi} m, got {self.height}")
        for f in ("arm_scale", "leg_scale", "shoulder_scale", "hip_scale"):
            v = getattr(self, f)
            if not SCALE_RANGE[0] <= v <= SCALE_RANGE[1]:
                raise FitScoreError(f"body {f} must be between {SCALE_RANGE[0]} and "
                                    f"{SCALE_RANGE[1]} (±10%), got {v}")
        if not 0.0 <= self.flexibility <= 1.0:
            raise FitScoreError(f"body flexibility must be between 0 and 1, got {self.flexibility}")

    @property
    def segments(self) -> "Segments":
        return _segments_of(self)


@dataclass(frozen=True)
class Segments:
    """Bone lengths and fixed offsets in metres, derived from a BodyShape."""

    foot_height: float      # ankle centre above the sole
    heel_back: float        # heel behind the ankle
    big_toe_fwd: float      # big-toe tip ahead of the ankle
    small_toe_fwd: float
    big_toe_in: float       # big toe towards the midline
    small_toe_out: float    # small toe away from the midline
    shank: float
    thigh: float
    hip_half: float         # MidHip to each hip joint
    lumbar: float           # MidHip to mid-spine
    thoracic: float         # mid-spine to Neck
    shoulder_half: float    # Neck to each shoulder (sideways)
    shoulder_drop: float    # shoulders sit this far below Neck
    upper_arm: float
    forearm: float
    neck: float             # Neck to the head pivot
    head_top: float         # head pivot to the crown
    nose: tuple[float, float, float]   # face points from the head pivot, head frame (left eye: +x)
    eye: tuple[float, float, float]
    ear: tuple[float, float, float]

    @staticmethod
    def of(b: BodyShape) -> "Segments":
        h = b.height
        foot_h = 0.039 * h
        shank, thigh = 0.246 * h * b.leg_scale, 0.245 * h * b.leg_scale
        up = (h - foot_h - shank - thigh) / (0.470 * h)  # trunk + head share of the height
        hu = h * up
        return Segments(
            foot_height=foot_h, heel_back=0.030 * h, big_toe_fwd=0.120 * h,
            small_toe_fwd=0.100 * h, big_toe_in=0.010 * h, small_toe_out=0.025 * h,
            shank=shank, thigh=thigh, hip_half=0.055 * h * b.hip_scale,
            lumbar=0.120 * hu, thoracic=0.170 * hu,
            shoulder_half=0.110 * h * b.shoulder_scale, shoulder_drop=0.010 * h,
            upper_arm=0.186 * h * b.arm_scale, forearm=0.146 * h * b.arm_scale,
            neck=0.075 * hu, head_top=0.105 * hu,
            nose=(0.0, 0.020 * hu, 0.060 * hu), eye=(0.018 * hu, 0.040 * hu, 0.050 * hu),
            ear=(0.043 * hu, 0.025 * hu, 0.0),
        )

    @property
    def leg(self) -> float:
        return self.thigh + self.shank

    @property
    def arm(self) -> float:
        return self.upper_arm + self.forearm

    @property
    def hip_height(self) -> float:
        """MidHip height standing straight."""
        return self.foot_height + self.shank + self.thigh

    def foot_points(self, side: int) -> np.ndarray:
        """(3, 3) heel, big toe, small toe from the ankle in the foot frame; side +1 left, -1 right."""
        fh = self.foot_height
        return np.array([[0.0, -fh, -self.heel_back],
                         [-side * self.big_toe_in, -fh, self.big_toe_fwd],
                         [side * self.small_toe_out, -fh, self.small_toe_fwd]])

    def face_points(self) -> np.ndarray:
        """(5, 3) Nose, REye, LEye, REar, LEar from the head pivot in the head frame."""
        n, e, r = self.nose, self.eye, self.ear
        return np.array([n, (-e[0], e[1], e[2]), e, (-r[0], r[1], r[2]), r])


@functools.lru_cache(maxsize=1024)
def _segments_of(body: BodyShape) -> Segments:
    return Segments.of(body)


def random_body(rng: np.random.Generator) -> BodyShape:
    """A plausible adult: height ~ N(1.72, 0.09) m, proportions within ±10%."""

    def scale(sd: float) -> float:
        return float(np.clip(rng.normal(1.0, sd), *SCALE_RANGE))

    return BodyShape(
        height=float(np.clip(rng.normal(1.72, 0.09), *HEIGHT_RANGE)),
        arm_scale=scale(0.035), leg_scale=scale(0.035),
        shoulder_scale=scale(0.05), hip_scale=scale(0.05),
        flexibility=float(rng.beta(2.0, 2.0)),
    )


@dataclass(frozen=True)
class Pose:
    """Root placement plus segment rotations over T frames.

    root_pos: (T, 3) MidHip in world metres; root_rot: (T, 3, 3) pelvis frame.
    local[name]: (T, 3, 3) rotation relative to the parent segment (missing = identity).
    world[name]: (T, 3, 3) rotation in the world, overriding local (pinned segments).
    """

    root_pos: np.ndarray
    root_rot: np.ndarray
    local: Mapping[str, np.ndarray] = field(default_factory=dict)
    world: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        unknown = (set(self.local) | set(self.world)) - set(SEGMENT_PARENT)
        if unknown:
            raise ValueError(f"unknown segments {sorted(unknown)}; known: {sorted(SEGMENT_PARENT)}")

    @property
    def n_frames(self) -> int:
        return int(self.root_pos.shape[0])

    @staticmethod
    def standing(body: BodyShape, n_frames: int) -> "Pose":
        """Anatomical standing pose: straight legs, arms hanging, feet under the hips."""
        seg = body.segments
        pos = np.tile([0.0, seg.hip_height, 0.0], (n_frames, 1))
        return Pose(pos, identity(n_frames))


class _Chain:
    """Segment world rotations, resolved lazily from a Pose (parents first)."""

    def __init__(self, pose: Pose):
        self.pose = pose
        self.cache: dict[str, np.ndarray] = {"pelvis": pose.root_rot}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.cache:
            if name in self.pose.world:
                self.cache[name] = self.pose.world[name]
            else:
                parent = self[SEGMENT_PARENT[name]]
                loc = self.pose.local.get(name)
                self.cache[name] = parent if loc is None else compose(parent, loc)
        return self.cache[name]


@dataclass(frozen=True)
class Trunk:
    """Points of the trunk a move needs before the limbs are solved (all (T, 3))."""

    mid_hip: np.ndarray
    r_hip: np.ndarray
    l_hip: np.ndarray
    neck: np.ndarray
    r_shoulder: np.ndarray
    l_shoulder: np.ndarray
    thorax_rot: np.ndarray


def trunk(seg: Segments, pose: Pose) -> Trunk:
    """Hips, Neck and shoulders from the root and the spine/girdle rotations."""
    return _trunk(seg, pose, _Chain(pose))


def _trunk(seg: Segments, pose: Pose, ch: _Chain) -> Trunk:
    p = pose.root_pos
    rp = ch["pelvis"]
    r_hip = p + apply(rp, np.array([-seg.hip_half, 0.0, 0.0]))
    l_hip = p + apply(rp, np.array([seg.hip_half, 0.0, 0.0]))
    spine_mid = p + apply(ch["lumbar"], np.array([0.0, seg.lumbar, 0.0]))
    neck = spine_mid + apply(ch["thorax"], np.array([0.0, seg.thoracic, 0.0]))
    r_sh = neck + apply(ch["r_clavicle"], np.array([-seg.shoulder_half, -seg.shoulder_drop, 0.0]))
    l_sh = neck + apply(ch["l_clavicle"], np.array([seg.shoulder_half, -seg.shoulder_drop, 0.0]))
    return Trunk(p, r_hip, l_hip, neck, r_sh, l_sh, ch["thorax"])


def forward_kinematics(body: BodyShape | Segments, pose: Pose) -> np.ndarray:
    """Pose over T frames -> (T, 25, 3) BODY_25 joints in world metres."""
    seg = body if isinstance(body, Segments) else body.segments
    ch = _Chain(pose)
    n = pose.n_frames
    sel = _bone_offsets(seg)
    # The offsets a segment carries are rotated by one small BLAS product straight into row
    # layout (3, T); each joint is one add written through a (25, 3, T) view of the result.
    out = np.empty((n, 25, 3))
    rows = out.transpose(1, 2, 0)

    def bones(name: str) -> np.ndarray:
        """(m, 3, T) (or (m, 3, 1) for a constant rotation) world offsets of segment `name`."""
        rot, s = ch[name], sel[name]
        if rot.ndim == 2 or rot.strides[0] == 0:
            return (s @ (rot if rot.ndim == 2 else rot[0]).reshape(9)).reshape(-1, 3, 1)
        return (s @ rot.reshape(-1, 9).T).reshape(-1, 3, n)

    p = rows[J["MidHip"]]
    p[:] = np.broadcast_to(pose.root_pos, (n, 3)).T
    hips = bones("pelvis")
    np.add(p, hips[0], out=rows[J["RHip"]])
    np.add(p, hips[1], out=rows[J["LHip"]])
    spine_mid = p + bones("lumbar")[0]
    neck = np.add(spine_mid, bones("thorax")[0], out=rows[J["Neck"]])
    for side, s in (("r", "R"), ("l", "L")):
        shoulder = np.add(neck, bones(side + "_clavicle")[0], out=rows[J[s + "Shoulder"]])
        elbow = np.add(shoulder, bones(side + "_upper_arm")[0], out=rows[J[s + "Elbow"]])
        np.add(elbow, bones(side + "_forearm")[0], out=rows[J[s + "Wrist"]])
        hip = rows[J[s + "Hip"]]
        knee = np.add(hip, bones(side + "_thigh")[0], out=rows[J[s + "Knee"]])
        ankle = np.add(knee, bones(side + "_shank")[0], out=rows[J[s + "Ankle"]])
        toe = J[s + "BigToe"]                       # BigToe, SmallToe, Heel are consecutive
        np.add(ankle, bones(side + "_foot"), out=rows[toe: toe + 3])
    pivot = neck + bones("neck")[0]
    face = bones("head")                            # Nose, then REye, LEye, REar, LEar
    np.add(pivot, face[0], out=rows[J["Nose"]])
    np.add(pivot, face[1:], out=rows[J["REye"]: J["REye"] + 4])
    return out


@functools.lru_cache(maxsize=1024)
def _bone_offsets(seg: Segments) -> dict[str, np.ndarray]:
    """Segment -> (3m, 9) matrix taking a flattened rotation to its m rotated offsets."""
    hip = seg.hip_half
    offsets = {
        "pelvis": [(-hip, 0.0, 0.0), (hip, 0.0, 0.0)],
        "lumbar": [(0.0, seg.lumbar, 0.0)], "thorax": [(0.0, seg.thoracic, 0.0)],
        "neck": [(0.0, seg.neck, 0.0)], "head": seg.face_points(),
    }
    for side, sgn in (("r", -1), ("l", 1)):
        offsets[side + "_clavicle"] = [(sgn * seg.shoulder_half, -seg.shoulder_drop, 0.0)]
        for name, length in (("_upper_arm", seg.upper_arm), ("_forearm", seg.forearm),
                             ("_thigh", seg.thigh), ("_shank", seg.shank)):
            offsets[side + name] = [(0.0, -length, 0.0)]
        heel, big, small = seg.foot_points(sgn)
        offsets[side + "_foot"] = [big, small, heel]
    out = {}
    for name, offs in offsets.items():
        m = np.zeros((3 * len(offs), 9))
        for a, v in enumerate(offs):
            for i in range(3):
                m[3 * a + i, 3 * i: 3 * i + 3] = v
        m.flags.writeable = False
        out[name] = m
    return out


def head_top(body: BodyShape | Segments, pose: Pose) -> np.ndarray:
    """(T, 3) crown of the head, for a renderer that draws a head around the face points."""
    seg = body if isinstance(body, Segments) else body.segments
    ch = _Chain(pose)
    tr = _trunk(seg, pose, ch)
    pivot = tr.neck + apply(ch["neck"], np.array([0.0, seg.neck, 0.0]))
    return pivot + apply(ch["head"], np.array([0.0, seg.head_top, 0.0]))
