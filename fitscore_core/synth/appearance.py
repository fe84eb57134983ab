"""What the synthetic person looks like: skin, hair, clothes, build.

    >>> import numpy as np
    >>> from fitscore_core.synth.appearance import Appearance, random_appearance
    >>> look = random_appearance(np.random.default_rng(0))
    >>> look == random_appearance(np.random.default_rng(0)), 0.9 <= look.build <= 1.2
    (True, True)

Why: a pose model should not learn one shirt. Looks are drawn from palettes of real skin
tones and common gym clothes; neighbouring garments (skin / shirt / bottoms) are kept apart
in colour, because an arm the colour of the shirt behind it, or a shirt the colour of the
trousers, hides exactly the outline a pose estimator needs. Sleeves stay short (tank top to
mid upper arm): measured with MediaPipe, a sleeve hem near the elbow gets taken for the elbow.
"""

from dataclasses import dataclass

import numpy as np

from .solids import Color

@dataclass(frozen=True)
class Appearance:
    """How the person looks: BGR colours, build and what the clothes cover."""

    skin: Color = (125, 165, 215)
    hair: Color = (35, 40, 50)
    shirt: Color = (170, 90, 40)
    bottoms: Color = (60, 50, 45)   # trousers or shorts
    shoes: Color = (230, 230, 230)
    socks: Color = (240, 240, 240)  # a band above the shoe (under trousers it barely shows)
    build: float = 1.0              # girth factor for limbs and torso (0.9 slim .. 1.2 broad)
    sleeve: float = 0.3             # fraction of the upper arm the sleeve covers (0 = tank top)
    shorts: bool = False            # shorts: thighs covered, bare shins; else long trousers


_SKINS = ((190, 210, 245), (150, 185, 230), (125, 165, 215), (95, 135, 190), (70, 105, 160),
          (50, 75, 120), (40, 58, 92))
_HAIRS = ((25, 25, 30), (30, 45, 70), (50, 75, 110), (90, 150, 200), (150, 150, 155),
          (35, 55, 120))
_SHIRTS = ((170, 90, 40), (40, 40, 200), (60, 150, 60), (200, 200, 200), (40, 40, 40),
           (160, 60, 140), (30, 160, 220), (120, 110, 30), (90, 60, 170), (210, 170, 90))
_BOTTOMS = ((30, 30, 30), (90, 50, 30), (110, 110, 110), (60, 70, 50), (170, 130, 90),
            (70, 40, 40))
_SOCKS = ((240, 240, 240), (200, 200, 200), (35, 35, 35), (90, 90, 90))
_SHOES = ((235, 235, 235), (30, 30, 30), (120, 120, 120), (40, 40, 190), (170, 100, 30))


MIN_CONTRAST = 120  # summed |BGR difference| between neighbouring garments


def _differs(a: Color, b: Color) -> bool:
    return float(np.abs(np.subtract(a, b)).sum()) >= MIN_CONTRAST


def random_appearance(rng: np.random.Generator) -> Appearance:
    """A plausible random look, neighbouring garments clearly apart in colour."""
    def pick(options, unlike: tuple[Color, ...] = ()) -> Color:
        while True:
            c = tuple(float(v) for v in options[rng.integers(len(options))])
            if all(_differs(c, u) for u in unlike):
                return c

    skin = pick(_SKINS)
    shirt = pick(_SHIRTS, (skin,))
    bottoms = pick(_BOTTOMS, (shirt,))
    return Appearance(skin=skin, hair=pick(_HAIRS), shirt=shirt, bottoms=bottoms,
                      shoes=pick(_SHOES), socks=pick(_SOCKS), build=float(rng.uniform(0.9, 1.2)),
                      sleeve=float(rng.uniform(0.1, 0.45)), shorts=bool(rng.random() < 0.4))
