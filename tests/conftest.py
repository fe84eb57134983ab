"""The test run's own pose cache folder: the CLI and the dashboard cache poses by default,
and tests must neither read the user's ~/.cache/fitscore/poses nor fill it. Set in the
environment, so the browser test's streamlit server uses it too."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def own_pose_cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pose-cache")
    before = os.environ.get("FITSCORE_POSE_CACHE")
    os.environ["FITSCORE_POSE_CACHE"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("FITSCORE_POSE_CACHE", None)
    else:
        os.environ["FITSCORE_POSE_CACHE"] = before
