from streamlit.testing.v1 import AppTest


def test_home_page_runs_and_names_the_tensor():
    at = AppTest.from_file("app.py").run(timeout=30)
    assert not at.exception
    assert at.title[0].value == "FitScore"
    assert any("30 ×" in m.value for m in at.metric)
