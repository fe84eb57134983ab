"""The dashboard in a real browser, driven like a user: `streamlit run app.py` on a free
localhost port, Debian's chromium through Playwright (no browser download). Opens the app,
sees the clip play with its skeleton (the video's currentTime advances), analyses a sample,
clicks a rep on the timeline and sees the video seek there (a Plotly bar and a button, the
same one twice), visits every page, checks scores and the heatmap are on screen, uploads a
clip and presses Analyze at once (the analysis of that file, not "choose a file"), uploads a
non-video file and reads the error (naming the file as the user named it), uploads a zip
whose entry name is Markdown for an image and a link and sees it as plain text with no
request leaving for the image; saves a screenshot of each page and the timings under
test-output/ (timings are reported in README, not asserted)."""

import http.server
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test-output" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PAGES = ("Skeletons", "Tensor", "Models", "Compare")
# what shows that a page is drawn: its title, then its main picture or chart
DRAWN = {"Skeletons": ("Skeletons", "[data-testid=stImage] img"),
         "Tensor": ("What the models read", ".js-plotly-plot"),
         "Models": ("The two models side by side", "[data-testid=stMetricValue]"),
         "Compare": ("Compare with the reference", "[data-testid=stImage] img"),
         "Analyze": ("Analyze a clip", "video")}
SLOW = 120_000   # ms: the first analysis finds the pose with MediaPipe on 2 cores
EVENTS: list[str] = []   # the browser's console messages and failed requests, for a failure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start within 60 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(autouse=True)
def screenshot_on_failure(request, page):
    """What the page showed when a test failed: test-output/browser/failed-<test>.png, and
    its text in the report (CI keeps the log, not the picture)."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        page.screenshot(path=OUT / f"failed-{request.node.name}.png", full_page=True)
        state = page.locator("[data-testid=stApp]").get_attribute("data-test-script-state")
        print(f"page at failure ({page.url}, script {state}):\n"
              + page.locator("[data-testid=stMain]").inner_text(timeout=5000)[:3000])
        print("browser console and network failures, last 40:\n" + "\n".join(EVENTS[-40:]))


@pytest.fixture(scope="module")
def page(app_url):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(SLOW)
        tab.on("console", lambda m: EVENTS.append(f"console {m.type}: {m.text}"[:300]))
        tab.on("pageerror", lambda e: EVENTS.append(f"page error: {e}"[:300]))
        tab.on("requestfailed", lambda r: EVENTS.append(f"request failed: {r.method} {r.url}"
                                                        f" {r.failure}"[:300]))
        yield tab
        browser.close()


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the Streamlit selectbox labelled `label`, as a keyboard user would."""
    box = page.get_by_role("combobox", name=label)
    box.click(force=True)
    page.keyboard.type(option)
    page.get_by_role("option", name=option).click()


VIDEO = '[data-testid="stMainBlockContainer"] video'
TIMED_SAMPLE = "squat_shallow.mp4"     # 9.2 s: the "10 s sample" of the speed target


def wait_idle(page) -> None:
    """Wait until the page's script run is over (the attribute Streamlit's own browser tests
    wait on). Called only once the run's output is on screen, so the run has started."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


RUNS = "fitscoreFinishedRuns"
SCRIPT_STATE = ("document.querySelector('[data-testid=\"stApp\"]')"
                ".getAttribute('data-test-script-state')")


def count_finished_runs(page) -> None:
    """From now on, window.<RUNS> counts the script runs that end (the app's script state
    leaving "running"), however briefly each one ran."""
    page.evaluate(f"""() => {{
        window.{RUNS} = 0;
        const app = document.querySelector('[data-testid="stApp"]');
        new MutationObserver(records => {{
            for (const r of records) if (r.oldValue === 'running') window.{RUNS} += 1;
        }}).observe(app, {{attributes: true, attributeOldValue: true,
                          attributeFilter: ['data-test-script-state']}});
    }}""")


FRESH = '[data-testid="stElementContainer"][data-stale="false"]'


def drawn_now(page, text: str):
    """The element with `text` drawn by the script run under way or just over. While a run
    is under way, the previous run's elements stay on screen (marked stale) until they are
    replaced, so another clip's "Both models see a squat" can be there too."""
    return page.locator(FRESH).filter(has_text=text).first


def video_time(page) -> float:
    return page.evaluate(f"document.querySelector('{VIDEO}').currentTime")


def wait_video_time(page, low: float, high: float) -> float:
    """Wait until the Analyze video's currentTime is within [low, high]; return it."""
    page.wait_for_function(
        f"([a, b]) => {{ const v = document.querySelector('{VIDEO}');"
        " return v && v.currentTime >= a && v.currentTime <= b; }", arg=[low, high])
    return video_time(page)


def expected_marks(name: str):
    """The timeline the app should draw for a sample, from the core (the poses are in the
    test run's pose cache by then, so this runs no pose estimator)."""
    from fitscore_core.analysis import analyze, load_scorers, with_reference
    from fitscore_core.config import ONE_CLIP_POSE_PARTS
    from fitscore_core.pose.cache import PoseCache
    from fitscore_core.timeline import timeline
    scorers = load_scorers()
    result = analyze(ROOT / "sample_videos" / name, scorers, cache=PoseCache(),
                     parts=ONE_CLIP_POSE_PARTS)    # posed as the dashboard poses
    return timeline(with_reference(result, "builtin", scorers))


def click_rep_bar(page, k: int) -> None:
    """Click the k-th (0-based) rep bar of the Plotly timeline where a user would: its
    middle (Plotly's drag layer takes the pointer events, so by position)."""
    bar = page.locator(".js-plotly-plot .barlayer .point").nth(k)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_a_user_analyses_a_sample_visits_every_page_and_uploads_a_bad_file(app_url, page):
    timings = {}
    page.goto(app_url)
    page.get_by_text("Both models see a").wait_for()          # the default sample, analysed
    page.locator(VIDEO).wait_for()
    wait_video_time(page, 0.3, 1e9)                          # it plays on its own (muted)
    assert page.get_by_role("button", name="Deploy").count() == 0
    assert page.get_by_role("combobox", name="Sample video").count() == 1
    assert page.locator("input[type=file]").count() == 0     # no upload box for a sample
    page.screenshot(path=OUT / "0-analyze-first-visit.png", full_page=True)

    choose(page, "Sample video", TIMED_SAMPLE)
    started = time.perf_counter()
    page.get_by_role("button", name="Analyze").click()
    page.get_by_test_id("stCaptionContainer").filter(has_text=TIMED_SAMPLE).first.wait_for()
    drawn_now(page, "Both models see a squat").wait_for()
    page.locator(FRESH).get_by_role("heading").filter(has_text="/ 100").first.wait_for()
    timings["analyze_10s_sample_s"] = round(time.perf_counter() - started, 2)
    page.locator(".js-plotly-plot .barlayer .point").first.wait_for()
    wait_video_time(page, 0.3, 1e9)
    timings["analyze_10s_sample_to_video_playing_s"] = round(time.perf_counter() - started, 2)
    wait_idle(page)
    page.get_by_text("Model details").click()            # both models, one click away
    scores = page.get_by_test_id("stMetricValue").filter(has_text="/ 100")
    scores.nth(1).wait_for()
    assert scores.count() == 2
    page.screenshot(path=OUT / "1-analyze.png", full_page=True)

    # The timeline seeks the video: a rep bar (Plotly click), then the rep's button, twice.
    reps = [m for m in expected_marks(TIMED_SAMPLE) if m.kind == "rep"]
    assert len(reps) >= 2
    assert page.locator(".js-plotly-plot .barlayer .point").count() == len(reps)
    page.evaluate(f"document.querySelector('{VIDEO}').pause()")
    before = page.locator(VIDEO).screenshot()
    last = reps[-1]
    click_rep_bar(page, len(reps) - 1)
    wait_video_time(page, last.seek_s - 0.05, last.seek_s + 0.05)  # paused: exactly there
    assert page.locator(VIDEO).screenshot() != before               # another frame shown
    page.screenshot(path=OUT / "1b-analyze-seek.png", full_page=True)
    first = reps[0]
    button = page.get_by_role("button", name=first.label)
    button.click()
    wait_video_time(page, first.seek_s - 0.05, first.seek_s + 0.05)
    page.evaluate(f"document.querySelector('{VIDEO}').currentTime = {last.end_s}")
    button.click()                                                   # the same rep again
    wait_video_time(page, first.seek_s - 0.05, first.seek_s + 0.05)
    page.evaluate(f"document.querySelector('{VIDEO}').play()")
    wait_video_time(page, first.seek_s + 0.2, first.end_s + 5)      # and it plays on

    for k, name in enumerate(PAGES + ("Analyze",), start=2):
        started = time.perf_counter()
        page.get_by_role("link", name=name).click()
        page.wait_for_url(f"**/{name.lower()}" if name != "Analyze" else "**/")
        title, drawn = DRAWN[name]
        main = page.get_by_test_id("stMainBlockContainer")
        main.locator("h1").filter(has_text=title).first.wait_for()
        main.locator(drawn).first.wait_for()         # e.g. the heatmap, the frame, the video
        timings[f"switch_to_{name.lower()}_s"] = round(time.perf_counter() - started, 2)
        page.wait_for_load_state("networkidle")
        wait_idle(page)
        page.screenshot(path=OUT / f"{k}-{name.lower()}.png", full_page=True)

    # An upload under the user's own name, Analyze pressed at once (before the upload has
    # surely finished): the analysis of that file, never "choose a file first".
    page.get_by_text("Upload", exact=True).first.click()
    page.locator("input[type=file]").first.wait_for(state="attached")
    wait_idle(page)          # the run that drew the upload box is over: it stays as it is
    assert page.get_by_role("combobox", name="Sample video").count() == 0
    mine = OUT / "Client squat (Tuesday).mp4"
    mine.write_bytes((ROOT / "sample_videos" / TIMED_SAMPLE).read_bytes())
    page.locator("input[type=file]").first.set_input_files(str(mine))
    page.get_by_role("button", name="Analyze").click()
    page.get_by_test_id("stCaptionContainer").filter(has_text=mine.name).first.wait_for()
    drawn_now(page, "Both models see a squat").wait_for()
    assert "Choose a file" not in page.content()
    page.screenshot(path=OUT / "8-own-upload.png", full_page=True)

    wait_idle(page)     # that analysis' run over: its drawing cannot replace the upload box
    # A file that replaces the analysed one just as Analyze is pressed: the press can reach
    # the app before the file does (the press's run still sees the previous file), so the
    # file in the box is analysed when it arrives. Made certain here: the press's run is
    # over before the file is chosen.
    bad = OUT / "not_a_video.mp4"
    bad.write_text("this is a shopping list, not a video")
    count_finished_runs(page)
    page.get_by_role("button", name="Analyze").click()
    page.wait_for_function(f"window.{RUNS} > 0 && {SCRIPT_STATE} === 'notRunning'")
    assert "not a video" not in page.content()
    page.locator("input[type=file]").first.set_input_files(str(bad))
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for()
    assert "not_a_video.mp4 is not a video" in error.inner_text()   # the user's name
    assert "Traceback" not in page.content()
    page.screenshot(path=OUT / "9-bad-upload.png", full_page=True)
    (OUT / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(json.dumps(timings, indent=2))


class Counted(http.server.BaseHTTPRequestHandler):
    """Counts every request that reaches it: an image or link the page should never load."""

    hits: list[str] = []

    def do_GET(self):
        Counted.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_zip_entry_named_in_markdown_is_shown_as_plain_text(app_url, page):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"http://127.0.0.1:{server.server_address[1]}"
    entry = f"../![p]({host}/p.png) [click me]({host}/link)_000000000000_keypoints.json"
    hostile = OUT / "hostile_entry.zip"
    OUT.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(hostile, "w") as z:
        z.writestr(entry, "{}")
    try:
        page.goto(app_url)
        page.get_by_text("Both models see a").wait_for()
        wait_idle(page)            # the first visit's run over: its drawing cannot replace
        page.get_by_text("Upload", exact=True).first.click()      # the upload box below
        page.locator("input[type=file]").first.wait_for(state="attached")
        wait_idle(page)
        page.locator("input[type=file]").first.set_input_files(str(hostile))
        page.get_by_role("button", name="Analyze").click()
        error = page.get_by_test_id("stAlertContentError").first
        error.wait_for()
        page.wait_for_load_state("networkidle")
        assert entry in error.inner_text().replace("\u2060", "")   # the name, as typed
        assert error.locator("a, img").count() == 0              # no link, no image drawn
        assert page.locator(f'img[src^="{host}"], a[href^="{host}"]').count() == 0
        assert Counted.hits == []                                # and nothing was fetched
        page.screenshot(path=OUT / "7-markdown-entry-name.png", full_page=True)
    finally:
        server.shutdown()


def test_a_trainer_saves_a_session_sees_progress_downloads_the_pdf_and_deletes_the_client(
        app_url, page, tmp_path):
    from fitscore_core.history import default_path  # the server's (conftest's data folder)
    page.goto(app_url)
    page.get_by_text("Both models see a").wait_for()                 # the default sample
    wait_idle(page)
    page.get_by_role("link", name="Progress").click()
    page.wait_for_url("**/progress")
    page.get_by_label("Name").wait_for()
    wait_idle(page)
    page.get_by_label("Name").fill("Zoë Test-Client")
    page.get_by_role("button", name="Create client").click()
    save_here = page.get_by_text("Save the clip analysed on the Analyze page")
    save_here.wait_for()                                 # drawn once the client exists
    wait_idle(page)
    save_here.click()
    page.get_by_role("button", name="Save session").wait_for()   # drawn by the opening's run
    wait_idle(page)                                              # which is then over
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Saved squat_knees_caving_in.mp4 for Zoë Test-Client").wait_for()
    page.get_by_text("Sessions", exact=True).wait_for()
    page.locator(".js-plotly-plot").first.wait_for()                 # the progress chart
    page.screenshot(path=OUT / "8-progress.png", full_page=True)

    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="PDF").first.click()
    pdf = tmp_path / "session.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    with sqlite3.connect(default_path()) as db:
        score, = db.execute("SELECT score FROM sessions").fetchone()
    assert "Zoë Test-Client" in text and f"{round(score)} / 100" in text
    assert "Push your knees out" in text                               # the cue for the fault

    wait_idle(page)
    page.get_by_role("button", name="Delete client Zoë Test-Client…").click()
    page.get_by_text("and everything kept about them").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Yes, delete for good").click()
    page.get_by_text("They are gone from the database").wait_for()
    with sqlite3.connect(default_path()) as db:
        assert db.execute("SELECT count(*) FROM clients").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM reps").fetchone() == (0,)
