"""The pose cache: keyed by a file's content (not its name), never trusting a damaged or
malformed entry, never leaving a half-written file; used by analyze, batch, evaluate and
bench real unless --no-cache. The estimator is replaced by a counting fake, so these tests
check the cache, not MediaPipe."""

import shutil
from pathlib import Path

import numpy as np
import pytest

import fitscore_core.pose.backends as backends
import fitscore_core.pose.cache as cache_module
from fitscore_core.analysis import analyze, load_scorers, with_reference
from fitscore_core.batch import run_batch
from fitscore_core.cli import main
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.cache import PoseCache
from fitscore_core.pose.inputs import load_sequence
from fitscore_core.pose.rate import pose_every
from fitscore_core.pose.sequence import MultiPoseFrames


def fake_frames(path, n=12) -> MultiPoseFrames:
    """Frames with 0, 1 and 2 people, so the flattened storage is really exercised."""
    rng = np.random.default_rng(len(str(path)))
    people = [rng.uniform(50, 400, (t % 3, 25, 3)).astype(np.float32) for t in range(n)]
    for p in people:
        p[..., 2] = 0.9
    return MultiPoseFrames(people, 29.97, (640, 480), str(path), "fake-backend")


@pytest.fixture
def estimator(monkeypatch):
    """The estimator replaced by a fake that records which files it was asked to run on."""
    calls = []

    def extract(path, backend=None, progress=None, every=1, **kwargs):
        calls.append(str(path))
        frames = fake_frames(path)
        return frames.subsampled(every or pose_every(frames.fps))
    monkeypatch.setattr(backends, "estimate_poses", extract)
    return calls


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"not really a video, but the cache only reads its bytes" * 100)
    return path


def test_a_copy_under_another_name_is_a_hit(tmp_path, clip, estimator):
    cache = PoseCache(tmp_path / "cache")
    first = cache.poses(clip)
    copy = tmp_path / "other name.mov"
    copy.write_bytes(clip.read_bytes())
    second = cache.poses(copy)
    assert estimator == [str(clip)] and (cache.hits, cache.misses) == (1, 1)
    assert second.source == str(copy)                 # reported under the name asked for
    assert [len(p) for p in second.people] == [len(p) for p in first.people]
    for a, b in zip(first.people, second.people):
        np.testing.assert_array_equal(a, b)
    assert (second.fps, second.size, second.backend) == (29.97, (640, 480), "fake-backend")


def test_changed_content_is_a_miss(tmp_path, clip, estimator):
    cache = PoseCache(tmp_path / "cache")
    cache.poses(clip)
    clip.write_bytes(clip.read_bytes() + b"!")       # same name, one byte more
    cache.poses(clip)
    assert len(estimator) == 2 and (cache.hits, cache.misses) == (0, 2)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_a_corrupt_entry_is_estimated_again_and_replaced(tmp_path, clip, estimator):
    cache = PoseCache(tmp_path / "cache")
    cache.poses(clip)
    (entry,) = (tmp_path / "cache").glob("*.npz")
    entry.write_bytes(b"truncated garbage")
    again = cache.poses(clip)
    assert len(estimator) == 2 and again.n_frames == 12
    fresh = PoseCache(tmp_path / "cache")
    fresh.poses(clip)
    assert (fresh.hits, fresh.misses) == (1, 0) and len(estimator) == 2


def flip_middle(data: bytes) -> bytes:
    """Eight bytes in the middle of the file inverted (inside the keypoint array)."""
    mid = len(data) // 2
    return data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 8]) + data[mid + 8:]


def stored(entry) -> dict[str, np.ndarray]:
    with np.load(entry) as data:
        return {k: data[k] for k in data.files}


def rewritten(entry, drop: str = "", **changes) -> None:
    """The entry saved again as a valid zip with some arrays changed (or `drop`ped); its
    digest is recomputed, so only the layout checks can refuse it, unless `sha256` is given."""
    arrays = stored(entry) | changes
    if "sha256" not in changes:
        arrays["sha256"] = np.array(cache_module.payload_digest(arrays))
    arrays.pop(drop, None)
    with open(entry, "wb") as f:
        np.savez(f, **arrays)


def negative_count(entry) -> None:
    counts = stored(entry)["counts"].copy()
    counts[0], counts[1] = -1, counts[1] + 1        # the sum still adds up
    rewritten(entry, counts=counts)


DAMAGE = {
    "truncated to half": lambda e: e.write_bytes(e.read_bytes()[: e.stat().st_size // 2]),
    "truncated by one byte": lambda e: e.write_bytes(e.read_bytes()[:-1]),
    "bytes flipped in the middle": lambda e: e.write_bytes(flip_middle(e.read_bytes())),
    "keypoints changed, digest stale": lambda e: rewritten(
        e, people=stored(e)["people"] + 1, sha256=stored(e)["sha256"]),
    "digest empty": lambda e: rewritten(e, sha256=np.array("")),
    "digest missing": lambda e: rewritten(e, drop="sha256"),
    "counts missing": lambda e: rewritten(e, drop="counts"),
    "15 joints instead of 25": lambda e: rewritten(e, people=stored(e)["people"][:, :15]),
    "(x, y) without confidence": lambda e: rewritten(e, people=stored(e)["people"][..., :2]),
    "float64 keypoints": lambda e: rewritten(e, people=stored(e)["people"].astype(float)),
    "counts do not add up": lambda e: rewritten(e, counts=stored(e)["counts"] + 1),
    "a negative count": negative_count,
    "fps not a number": lambda e: rewritten(e, fps=np.array(np.nan)),
    "fps zero": lambda e: rewritten(e, fps=np.array(0.0)),
    "size of three numbers": lambda e: rewritten(e, size=np.array([640, 480, 3], np.int32)),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_or_malformed_entry_is_never_trusted(tmp_path, clip, estimator, damage):
    """Whatever is wrong with the stored file, the clip is estimated again, the right poses
    are returned and the entry is overwritten with a good one."""
    cache = PoseCache(tmp_path / "cache")
    first = cache.poses(clip)
    (entry,) = (tmp_path / "cache").glob("*.npz")
    DAMAGE[damage](entry)
    damaged = entry.read_bytes()
    again = PoseCache(tmp_path / "cache")
    frames = again.poses(clip)
    assert len(estimator) == 2 and (again.hits, again.misses, again.damaged) == (0, 1, 1)
    assert [len(p) for p in frames.people] == [len(p) for p in first.people]
    for a, b in zip(first.people, frames.people):
        np.testing.assert_array_equal(a, b)
    assert entry.read_bytes() != damaged                  # overwritten
    fresh = PoseCache(tmp_path / "cache")
    fresh.poses(clip)
    assert (fresh.hits, fresh.misses, fresh.damaged) == (1, 0, 0) and len(estimator) == 2


def test_a_good_entry_passes_the_checks(tmp_path, clip, estimator):
    """The checks refuse damage, not the entries put() writes: rewriting an entry unchanged
    (same arrays, digest recomputed) still hits."""
    cache = PoseCache(tmp_path / "cache")
    cache.poses(clip)
    (entry,) = (tmp_path / "cache").glob("*.npz")
    rewritten(entry)
    again = PoseCache(tmp_path / "cache")
    again.poses(clip)
    assert (again.hits, again.damaged) == (1, 0) and len(estimator) == 1


def test_writes_are_atomic(tmp_path, clip, estimator, monkeypatch):
    folder = tmp_path / "cache"
    cache = PoseCache(folder)
    cache.poses(clip)
    assert [p.suffix for p in folder.iterdir()] == [".npz"]   # no .tmp left behind

    def killed(*args, **kwargs):
        raise KeyboardInterrupt                       # the run is stopped mid-write
    monkeypatch.setattr(np, "savez_compressed", killed)
    other = tmp_path / "other.mp4"
    other.write_bytes(b"different bytes")
    with pytest.raises(KeyboardInterrupt):
        cache.poses(other)
    assert [p.suffix for p in folder.iterdir()] == [".npz"]   # neither a .tmp nor a new entry


def test_the_backend_is_part_of_the_key(tmp_path, clip, estimator):
    class Other:
        name = "another-estimator"
    cache = PoseCache(tmp_path / "cache")
    cache.poses(clip)
    cache.poses(clip, backend=Other())
    assert cache.misses == 2 and len(estimator) == 2


def test_load_sequence_uses_the_cache_for_videos(tmp_path, clip, estimator):
    cache = PoseCache(tmp_path / "cache")
    a = load_sequence(clip, cache=cache)
    b = load_sequence(clip, cache=cache)
    assert len(estimator) == 1 and cache.hits == 1
    np.testing.assert_array_equal(a.keypoints, b.keypoints)


def test_poses_at_the_models_rate_have_their_own_entry(tmp_path, clip, estimator):
    cache = PoseCache(tmp_path / "cache")
    low = cache.poses(clip, every=None)              # 29.97 fps: every 2nd frame
    again = PoseCache(tmp_path / "cache").poses(clip, every=None)
    full = fake_frames(clip)
    assert len(estimator) == 1 and (again.every, again.video_frames) == (2, full.n_frames)
    assert again.fps == pytest.approx(29.97 / 2) and again.n_frames == low.n_frames == 6
    for a, b in zip(again.people, full.people[::2]):
        np.testing.assert_array_equal(a, b)
    cache.poses(clip)                                # every frame: another entry, posed again
    assert len(estimator) == 2 and len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_an_entry_posed_on_every_frame_serves_the_models_rate(tmp_path, clip, estimator):
    cache = PoseCache(tmp_path / "cache")
    full = cache.poses(clip)
    low = cache.poses(clip, every=None)
    assert len(estimator) == 1 and cache.hits == 1
    assert (low.every, low.frames_in_video, low.n_frames) == (2, full.n_frames, 6)
    for a, b in zip(low.people, full.people[::2]):
        np.testing.assert_array_equal(a, b)


def test_poses_in_parts_have_their_own_entry(tmp_path, clip, estimator):
    cache = PoseCache(tmp_path / "cache")
    cache.poses(clip, every=None, parts=2)
    assert [p.stem for p in (tmp_path / "cache").glob("*.npz")] == [
        cache.key(clip, "mediapipe-pose-full", None, parts=2)]
    cache.poses(clip, every=None, parts=2)                # found
    cache.poses(clip, every=None)                         # one pass: another entry
    assert len(estimator) == 2 and cache.hits == 1
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_load_sequence_poses_at_the_models_rate_and_fills_every_frame(tmp_path, clip,
                                                                     estimator):
    cache = PoseCache(tmp_path / "cache")
    seq = load_sequence(clip, cache=cache)                 # the default: the models' rate
    every_frame = load_sequence(clip, cache=cache, every=1)
    assert seq.n_frames == every_frame.n_frames == 12 and seq.fps == pytest.approx(29.97)
    assert len(estimator) == 2                             # one entry per rate


def test_default_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FITSCORE_POSE_CACHE", str(tmp_path / "here"))
    assert PoseCache().folder == tmp_path / "here"


def test_a_clip_with_nobody_in_it_is_remembered(tmp_path, clip, monkeypatch):
    calls = []

    def nobody(path, backend=None, progress=None, **kwargs):
        calls.append(str(path))
        return MultiPoseFrames([np.zeros((0, 25, 3), np.float32)] * 5, 30.0, (640, 480),
                               str(path), "fake-backend")
    monkeypatch.setattr(backends, "estimate_poses", nobody)
    cache = PoseCache(tmp_path / "cache")
    for _ in range(2):
        with pytest.raises(FitScoreError, match="No person was found"):
            cache.poses(clip)
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)


# --- the commands that pose videos: analyze, batch, evaluate, bench real -------------------

SQUAT = np.load("sample_videos/ground_truth/squat_good.npz")["keypoints"].astype(np.float32)


@pytest.fixture
def squat_estimator(monkeypatch):
    """The estimator replaced by one that 'finds' the squat sample's true keypoints in any
    file (so the analysis succeeds), recording the files it ran on."""
    calls = []

    def extract(path, backend=None, progress=None, limits=None, every=1, parts=1):
        calls.append(Path(path).name)
        return MultiPoseFrames([k[None] for k in SQUAT], 30.0, (640, 480), str(path),
                               "fake-backend")
    monkeypatch.setattr(backends, "estimate_poses", extract)
    return calls


@pytest.fixture
def videos(tmp_path):
    """Three 'videos' in a folder: two with the same bytes under other names, one other."""
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "anna.mp4").write_bytes(b"anna's squats" * 500)
    (folder / "anna copy.mov").write_bytes(b"anna's squats" * 500)
    (folder / "ben.mp4").write_bytes(b"ben's squats" * 500)
    return folder


@pytest.fixture
def default_folder(tmp_path, monkeypatch):
    """FITSCORE_POSE_CACHE pointed at a folder that does not exist yet."""
    folder = tmp_path / "default-cache"
    monkeypatch.setenv("FITSCORE_POSE_CACHE", str(folder))
    return folder


def test_analyze_and_batch_take_a_cache(tmp_path, videos, squat_estimator, models_dir):
    scorers, cache = load_scorers(models_dir), PoseCache(tmp_path / "cache")
    first = analyze(videos / "anna.mp4", scorers, cache=cache)
    assert squat_estimator == ["anna.mp4"] and (cache.hits, cache.misses) == (0, 1)
    rows = run_batch(videos, tmp_path / "out.csv", models_dir=models_dir, cache=cache)
    assert [r["error"] for r in rows] == ["", "", ""]
    assert squat_estimator == ["anna.mp4", "ben.mp4"]      # anna and her copy: found
    assert (cache.hits, cache.misses) == (2, 2)
    again = analyze(videos / "anna copy.mov", scorers, cache=cache)
    assert cache.hits == 3 and len(squat_estimator) == 2
    np.testing.assert_array_equal(first.sequence.keypoints, again.sequence.keypoints)
    assert {n: p.score for n, p in first.predictions.items()} == \
        {n: p.score for n, p in again.predictions.items()}


def test_a_reference_video_is_posed_through_the_cache(tmp_path, videos, squat_estimator,
                                                      models_dir):
    scorers, cache = load_scorers(models_dir), PoseCache(tmp_path / "cache")
    result = analyze(videos / "anna.mp4", scorers, exercise="squat", cache=cache)
    with_reference(result, videos / "anna copy.mov", scorers, cache=cache)
    assert squat_estimator == ["anna.mp4"] and cache.hits == 1


def test_cli_analyze_and_batch_use_the_default_folder(tmp_path, videos, squat_estimator,
                                                      models_dir, default_folder, capsys):
    clip = str(videos / "anna.mp4")
    assert main(["analyze", clip, "--models", str(models_dir)]) == 0
    assert main(["analyze", clip, "--models", str(models_dir)]) == 0
    out = capsys.readouterr().out
    assert squat_estimator == ["anna.mp4"] and len(list(default_folder.glob("*.npz"))) == 1
    assert out.count(f"pose cache {default_folder}: ") == 2
    assert "0 clip(s) found, 1 estimated" in out and "1 clip(s) found, 0 estimated" in out
    assert main(["batch", str(videos), "--out", str(tmp_path / "r.csv"), "--models",
                 str(models_dir)]) == 0
    # analyze posed one clip in two stretches side by side; batch poses in one pass, so
    # anna's content is posed again (once: its copy then finds it), under its own key
    assert squat_estimator == ["anna.mp4", "anna copy.mov", "ben.mp4"]
    assert "1 clip(s) found, 2 estimated" in capsys.readouterr().out


def test_cli_cache_dir_overrides_the_default(tmp_path, videos, squat_estimator, models_dir,
                                             default_folder):
    mine = tmp_path / "mine"
    assert main(["batch", str(videos), "--out", str(tmp_path / "r.csv"), "--models",
                 str(models_dir), "--cache", str(mine)]) == 0
    assert len(list(mine.glob("*.npz"))) == 2 and not default_folder.exists()


def snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def labels_csv(videos: Path) -> Path:
    path = videos / "labels.csv"
    path.write_text("path,exercise\nanna.mp4,squat\nben.mp4,squat\n")
    return path


NO_CACHE_RUNS = {
    "analyze": lambda v, m, t: ["analyze", str(v / "anna.mp4"), "--models", m],
    "analyze with a reference clip": lambda v, m, t: [
        "analyze", str(v / "anna.mp4"), "--models", m, "--exercise", "squat",
        "--reference", str(v / "anna copy.mov")],
    "batch": lambda v, m, t: ["batch", str(v), "--out", str(t / "r.csv"), "--models", m],
    "evaluate": lambda v, m, t: ["evaluate", "--data", str(labels_csv(v)), "--models", m],
    "bench real": lambda v, m, t: ["bench", "real", "--real", str(v), "--models", m],
}


@pytest.mark.parametrize("command", NO_CACHE_RUNS, ids=list(NO_CACHE_RUNS))
def test_no_cache_never_reads_or_writes_the_cache(tmp_path, videos, squat_estimator,
                                                   models_dir, default_folder, monkeypatch,
                                                   command):
    """The default folder already holds every clip's poses: with --no-cache the estimator
    runs anyway, the folder is left exactly as it was, and no PoseCache is even asked."""
    shutil.copy(videos / "anna.mp4", videos / "bicep_curl_side.mp4")  # what bench real reads
    filler = PoseCache()
    for clip in videos.glob("*.m*"):
        filler.poses(clip)
    before, calls = snapshot(default_folder), len(squat_estimator)

    def untouched(*args, **kwargs):
        raise AssertionError("the pose cache was used despite --no-cache")
    for method in ("get", "put", "poses", "key"):
        monkeypatch.setattr(PoseCache, method, untouched)
    args = NO_CACHE_RUNS[command](videos, str(models_dir), tmp_path)
    assert main(args + ["--no-cache"]) == 0
    assert len(squat_estimator) > calls
    assert snapshot(default_folder) == before


def test_no_cache_and_cache_dir_are_one_or_the_other(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["analyze", "x.mp4", "--cache", str(tmp_path), "--no-cache"])
    assert stop.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
