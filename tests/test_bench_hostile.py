"""The hostile-input benchmark builds the inputs it claims to (its figures are in README)."""

import struct
import zipfile

from fitscore_core.bench.hostile import (
    CaseResult,
    _lying_avi,
    _million_entry_zip,
    _zip_bomb,
    format_hostile,
    run_case,
)
from fitscore_core.pose.openpose_json import zip_directory_size


def test_the_hand_written_many_entry_zip_is_a_real_zip64(tmp_path):
    path = _million_entry_zip(tmp_path / "many.zip", n=70_000)     # past the 65,535 of zip32
    assert zip_directory_size(path)[0] == 70_000
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    assert len(names) == 70_000 and names[-1] == "m_000000069999_keypoints.json"


def test_the_bomb_claims_4_gib_and_the_lying_avi_claims_300_frames(tmp_path):
    with zipfile.ZipFile(_zip_bomb(tmp_path / "bomb.zip", inflates_to=1000)) as z:
        assert z.infolist()[0].file_size == 0xFFFFFFFE
    data = _lying_avi(tmp_path / "lying.avi", frames=400).read_bytes()
    assert struct.unpack("<I", data[data.find(b"avih") + 24:][:4])[0] == 300


def test_a_case_is_measured_in_its_own_process_and_the_table_flags_a_missed_target():
    status, peak_mb, cpu_s, said = run_case(["info", "/nowhere/x.mp4"])
    assert status == 2 and peak_mb > 10 and cpu_s > 0 and "x.mp4" in said
    table = format_hostile([CaseResult("small", 2, 300.0, 2.0, "refused"),
                            CaseResult("big", 2, 1500.0, 2.0, "a | b")])
    assert "| big | 2 | 1500 | 2.0 ⚠ | a \\| b |" in table and "| small | 2 | 300 | 2.0 |" in table
    assert table.endswith("worst: 1500 MB, 2.0 s CPU (targets 1000 MB, 10 s)")
