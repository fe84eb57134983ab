"""The renderer's reference body: a standing adult as BODY_25 world joints (metres).

    >>> from fitscore_core.synth.proportions import standing_pose
    >>> pose = standing_pose(1.75)                  # (25, 3), y up, facing +z, x = subject's left
    >>> neck_height, shoulder_width = pose[1, 1], pose[5, 0] - pose[2, 0]
    >>> round(float(neck_height), 2), round(float(shoulder_width), 2)
    (1.45, 0.36)

Why: the renderer sizes the drawn anatomy (skull, pelvis, limb girths) against these
proportions, and tests need a realistic pose to bend. Motion belongs to the exercise
synthesizer; this module only says where the joint centres of a standing person are
(adult averages, after Winter's anthropometric tables). Joint centres, not skin points:
the hip is the femoral head inside the pelvis, the shoulder the humeral head inside the deltoid.
"""

import numpy as np

REFERENCE_HEIGHT_M = 1.75

# Right-side and midline joints of a 1.75 m person; left joints mirror x.
_RIGHT_AND_MID = {
    0: (0.0, 1.600, 0.108),      # Nose (tip)
    1: (0.0, 1.445, 0.0),        # Neck = mid-shoulder
    2: (-0.180, 1.445, 0.0),     # RShoulder
    3: (-0.200, 1.146, -0.005),  # RElbow
    4: (-0.210, 0.893, 0.030),   # RWrist
    8: (0.0, 0.930, 0.0),        # MidHip
    9: (-0.090, 0.930, 0.0),     # RHip
    10: (-0.095, 0.500, 0.012),  # RKnee
    11: (-0.100, 0.070, -0.010), # RAnkle
    15: (-0.032, 1.635, 0.085),  # REye
    17: (-0.075, 1.615, 0.0),    # REar
    22: (-0.090, 0.0, 0.170),    # RBigToe   (foot points on the sole, as in OpenPose)
    23: (-0.140, 0.0, 0.125),    # RSmallToe
    24: (-0.105, 0.0, -0.060),   # RHeel
}
_LEFT_OF = {5: 2, 6: 3, 7: 4, 12: 9, 13: 10, 14: 11, 16: 15, 18: 17, 19: 22, 20: 23, 21: 24}


def standing_pose(height_m: float = REFERENCE_HEIGHT_M) -> np.ndarray:
    """(25, 3) BODY_25 world joints of a relaxed standing person of the given height."""
    pose = np.zeros((25, 3))
    for j, xyz in _RIGHT_AND_MID.items():
        pose[j] = xyz
    for left, right in _LEFT_OF.items():
        pose[left] = pose[right] * (-1.0, 1.0, 1.0)
    return pose * (height_m / REFERENCE_HEIGHT_M)
