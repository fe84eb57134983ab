"""Imports run one way: pose → features / synth → scorers → compare → analysis → verdict /
setup check / history / report → batch / CLI / UI.

Parses every module's imports (without running them) and asserts that no module imports from
a stage above its own, so the layering the package tree shows stays true as the code grows.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lower number = lower stage. A module may import its own stage and any stage below it.
STAGES = {
    "fitscore_core.errors": 0, "fitscore_core.config": 0, "fitscore_core.user_files": 0,
    "fitscore_core.fault_views": 0,   # pure data: the synthesizer and the analysis read it
    "fitscore_core.pose": 1,
    "fitscore_core.features": 2, "fitscore_core.synth": 2, "fitscore_core.dtw": 2,
    "fitscore_core.scorers": 3,
    "fitscore_core.compare": 4,
    "fitscore_core.analysis": 5, "fitscore_core.annotate": 5,
    "fitscore_core.clip_eval": 5,
    # what is said, checked, kept and printed about an Analysis: above it, below batch / CLI
    "fitscore_core.verdict": 5.5, "fitscore_core.setup_check": 5.5,
    "fitscore_core.history": 5.5, "fitscore_core.report": 5.5,
    "fitscore_core.bench": 6,   # measures everything below, history and reports included
    "fitscore_core.batch": 6, "fitscore_core.batch_clip": 6, "fitscore_core.batch_store": 6,
    "fitscore_core.batch_pool": 6,
    "fitscore_core.batch_ray": 6, "fitscore_core.batch_bench": 6,
    "fitscore_core.cli": 6, "fitscore_core.__main__": 6,
    "fitscore_core.timeline": 5.5,
    "ui": 7, "pages": 7, "app": 7,
}


def stage_of(module: str) -> int | None:
    """The stage of a dotted module name: its longest prefix in STAGES (the package's own
    face, which only re-exports FitScoreError, sits at the bottom)."""
    if module == "fitscore_core":
        return 0
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in STAGES:
            return STAGES[".".join(parts[:n])]
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, source: str | None = None) -> list[str]:
    """Every absolute module an import statement in the file names (relative ones resolved)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(source if source is not None else path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


SOURCES = sorted([*ROOT.joinpath("fitscore_core").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py"),
                  *ROOT.joinpath("pages").rglob("*.py"), ROOT / "app.py"])


def test_every_module_has_a_stage():
    assert SOURCES
    assert [module_name(p) for p in SOURCES if stage_of(module_name(p)) is None] == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_runs_up_a_stage(path):
    own = stage_of(module_name(path))
    upward = [m for m in imported_modules(path)
              if (stage := stage_of(m)) is not None and stage > own]
    assert upward == [], f"{module_name(path)} (stage {own}) imports from a stage above it"


def test_the_check_sees_an_upward_import():
    """The parser must catch both import forms, or the test above proves nothing."""
    fake = ROOT / "fitscore_core" / "pose" / "x.py"
    source = "from fitscore_core.analysis import analyze\nfrom ..scorers import reps\n"
    found = imported_modules(fake, source)
    assert "fitscore_core.analysis" in found and "fitscore_core.scorers.reps" in found
    assert stage_of("fitscore_core.scorers.reps") > stage_of(module_name(fake))
