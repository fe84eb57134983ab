"""Shared fixtures. The test run's own pose cache folder: the CLI and the dashboard cache poses
by default, and tests must neither read the user's ~/.cache/fitscore/poses nor fill it (set in
the environment, so the browser test's streamlit server uses it too). A folder of tiny
untrained scorers, for tests about what is read and written rather than about scores. The
client database (fitscore_core/history.py) likewise lives in the test run's own data folder,
never the user's ~/fitscore-data."""

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


@pytest.fixture(scope="session", autouse=True)
def own_data_home(tmp_path_factory):
    """Clients' history and the dashboard's uploads go to the test run's own folders."""
    folders = {"FITSCORE_DATA_HOME": tmp_path_factory.mktemp("data-home"),
               "FITSCORE_UPLOAD_DIR": tmp_path_factory.mktemp("uploads")}
    before = {name: os.environ.get(name) for name in folders}
    os.environ.update({name: str(folder) for name, folder in folders.items()})
    yield folders["FITSCORE_DATA_HOME"]
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    from test_scorers import _tiny_scorer

    from fitscore_core.scorers.checkpoints import save_scorer
    folder = tmp_path_factory.mktemp("models")
    for name in ("cnn1d", "lstm"):
        save_scorer(_tiny_scorer(name), folder / f"{name}.pt")
    return folder


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each test's call report on the item (rep_call), so a fixture can tell that the
    test failed (the browser test then saves a screenshot of the page)."""
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
