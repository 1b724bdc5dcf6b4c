"""viz.player in a real browser (issue 16): saved players opened from file:// in headless Chromium.

Needs selenium (the ``test`` extra), Chromium and ChromeDriver (Debian: ``apt-get install chromium
chromium-driver``). Without them these tests skip with the reason; with LABGRAD_REQUIRE_BROWSER=1 (set by
.ci/run) they fail instead, so CI really runs them. One browser for the whole module.
"""
import io
import os
import shutil
import time

import pytest

from autograd.viz.player import player
from player_graphs import GRAPHS, engine_walk, lecture, mlp

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
         # no network noise on a closed machine: nothing to fetch, nothing to report
         "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio")


def _missing():
    """Why no browser test can run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not any(shutil.which(c) for c in CHROMIUM):
        return "no Chromium (Debian: apt-get install chromium)"
    if not shutil.which("chromedriver"):
        return "no chromedriver (Debian: apt-get install chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = _missing()
    if reason is not None:
        if os.environ.get("LABGRAD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"LABGRAD_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(shutil.which(c) for c in CHROMIUM if shutil.which(c))
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The seed graphs' players, saved: name -> (Player, file:// URL, root)."""
    folder = tmp_path_factory.mktemp("players")
    saved = {}
    for name, make in GRAPHS.items():
        root, names = make()
        p = player(root, names=names)
        saved[name] = (p, p.save(folder / f"{name}.html").as_uri(), root)
    return saved


def open_page(driver, url):
    """Open ``url`` with an empty console log: what the page logs while it loads stays for ``severe``."""
    driver.get_log("browser")                        # (what earlier pages logged is read, and dropped)
    driver.get(url)
    return driver.find_element("css selector", ".labgrad-player")


def state(driver):
    """(counter text, sorted keys of highlighted nodes, frame index, playing?) as the page shows them."""
    return tuple(driver.execute_script("""
        var root = document.querySelector('.labgrad-player'), prefix = root.getAttribute('data-prefix') + '-';
        var lit = Array.from(root.querySelectorAll('g.node.hl')).map(function (g) { return g.id.slice(prefix.length); });
        return [root.querySelector('.counter').textContent, lit.sort(), Number(root.getAttribute('data-frame')),
                root.hasAttribute('data-playing')];"""))


def text_rows(driver, key, cls):
    return driver.execute_script(
        "var root = document.querySelector('.labgrad-player');"
        "var g = document.getElementById(root.getAttribute('data-prefix') + '-' + arguments[0]);"
        "return Array.from(g.querySelectorAll('text.' + arguments[1])).map(function (t) { return t.textContent; })"
        ".join('\\n').trim();", key, cls)


def severe(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_keys_step_through_the_engines_walk(browser, pages, graph):
    from selenium.webdriver.common.keys import Keys

    p, url, root = pages[graph]
    element = open_page(browser, url)
    n = len(p.frames)
    assert state(browser)[:3] == (f"frame 1 / {n}", sorted(p.frames[0].highlight), 0)
    key = {id(t): k for k, t in p.scene.tensors.items()}
    walk = iter(engine_walk(root))
    for i in range(1, n):
        element.send_keys(Keys.ARROW_RIGHT)
        counter, lit, frame, _ = state(browser)
        assert (counter, lit, frame) == (f"frame {i + 1} / {n}", sorted(p.frames[i].highlight), i)
        if p.frames[i].kind == "backward":                 # the node the engine visits at this step
            op, output, input = next(walk)
            assert {key[id(output)], "op" + key[id(output)][1:], key[id(input)]} == set(lit)
    assert next(walk, None) is None
    element.send_keys(Keys.ARROW_RIGHT)                    # past the end: stays on the last frame
    assert state(browser)[0] == f"frame {n} / {n}"
    for i in range(n - 2, -1, -1):
        element.send_keys(Keys.ARROW_LEFT)
        assert state(browser)[:3] == (f"frame {i + 1} / {n}", sorted(p.frames[i].highlight), i)
    element.send_keys(Keys.END)
    assert state(browser)[2] == n - 1
    element.send_keys(Keys.HOME)
    assert state(browser)[2] == 0
    assert severe(browser) == []


def test_the_node_texts_follow_the_frames_and_the_slider(browser, pages):
    from selenium.webdriver.common.keys import Keys

    p, url, root = pages["lecture"]
    open_page(browser, url)
    x = next(k for k, t in p.scene.tensors.items() if t.name == "x")
    f = next(k for k, t in p.scene.tensors.items() if t is root)
    assert (text_rows(browser, x, "value"), text_rows(browser, x, "grad")) == ("-2", "")
    assert text_rows(browser, f, "value") == ""            # not computed yet
    slider = browser.find_element("css selector", ".slider")
    browser.execute_script("arguments[0].value = '2'; arguments[0].dispatchEvent(new Event('input'));", slider)
    assert state(browser)[:3] == (f"frame 3 / {len(p.frames)}", sorted(p.frames[2].highlight), 2)
    assert text_rows(browser, f, "value") == "-12"
    slider.send_keys(Keys.ARROW_RIGHT)                     # the slider's own keys: one step, not two
    assert state(browser)[2] == 3
    assert text_rows(browser, f, "grad") == "1"
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                           slider, str(len(p.frames) - 1))
    assert (text_rows(browser, x, "grad"), state(browser)[2]) == ("-4", len(p.frames) - 1)
    explanation = browser.find_element("css selector", ".explain .lines").text
    assert explanation.splitlines() == list(p.frames[-1].explanation)
    assert severe(browser) == []


def test_play_reaches_the_last_frame_and_buttons_work(browser, pages):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    p, url, _ = pages["neuron"]
    element = open_page(browser, url)
    n = len(p.frames)
    Select(browser.find_element("css selector", ".speed select")).select_by_visible_text("40×")
    browser.find_element("css selector", "button[data-act=play]").click()
    assert state(browser)[3]                               # playing
    deadline = time.monotonic() + 10
    while state(browser)[2] != n - 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    assert state(browser) == (f"frame {n} / {n}", sorted(p.frames[-1].highlight), n - 1, False)
    element.send_keys(Keys.SPACE)                          # at the end, play starts over...
    element.send_keys(Keys.SPACE)                          # ...and space pauses
    frame = state(browser)[2]
    assert frame < n - 1 and not state(browser)[3]
    time.sleep(0.2)
    assert state(browser)[2] == frame                      # paused: nothing moves
    for act, expected in (("first", 0), ("next", 1), ("last", n - 1), ("back", n - 2)):
        browser.find_element("css selector", f"button[data-act={act}]").click()
        assert state(browser)[2] == expected
    assert severe(browser) == []


def test_screenshots_of_the_first_and_last_frames_are_not_blank(browser, pages):
    from PIL import Image
    from selenium.webdriver.common.keys import Keys

    p, url, _ = pages["lecture"]
    element = open_page(browser, url)
    shots = []
    for key in (None, Keys.END):
        if key:
            element.send_keys(key)
        image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
        colours = image.getcolors(maxcolors=1 << 20)
        ink = sum(count for count, rgb in colours if min(rgb) < 200)
        assert len(colours) > 50 and ink > 0.01 * image.width * image.height, (len(colours), ink)
        shots.append(image.tobytes())
    assert shots[0] != shots[1]
    assert severe(browser) == []


def test_two_players_on_one_page_do_not_interfere(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    (a, _), (b, _) = lecture(), GRAPHS["diamond"]()
    page = tmp_path / "notebook.html"
    page.write_text("<!DOCTYPE html><html><body>" + player(a)._repr_html_() + player(b)._repr_html_()
                    + "</body></html>", encoding="utf-8")
    browser.get_log("browser")
    browser.get(page.as_uri())
    frames = browser.find_elements("tag name", "iframe")
    assert len(frames) == 2
    browser.switch_to.frame(frames[0])
    browser.find_element("css selector", ".labgrad-player").send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert state(browser)[2] == 2
    browser.switch_to.default_content()
    browser.switch_to.frame(frames[1])
    assert state(browser)[2] == 0                          # the other player did not move
    browser.switch_to.default_content()
    assert severe(browser) == []


# --- review of #16 ------------------------------------------------------------------------

def test_an_error_logged_while_the_page_loads_is_seen(browser, tmp_path):
    # the check of every test above: what a page logs during its load must reach severe(), not be dropped
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><div class="labgrad-player"></div>'
                    '<script>console.error("labgrad-deliberate-load-error");</script></body></html>', encoding="utf-8")
    open_page(browser, page.as_uri())
    assert any("labgrad-deliberate-load-error" in entry["message"] for entry in severe(browser))
    open_page(browser, page.as_uri())
    open_page(browser, lecture_url(tmp_path))       # the next page starts with an empty log
    assert severe(browser) == []


def lecture_url(folder):
    root, names = lecture()
    return player(root, names=names).save(folder / "lecture.html").as_uri()


@pytest.fixture
def narrow(browser):
    """A 900 px wide window (a notebook cell's width), then back to the module's size."""
    browser.set_window_size(900, 900)
    yield browser
    browser.set_window_size(1400, 900)


def explanation_box(driver):
    return driver.execute_script("""
        var root = document.querySelector('.labgrad-player'), box = root.querySelector('.explain');
        var r = box.getBoundingClientRect(), g = root.querySelector('.graph').getBoundingClientRect();
        var pre = box.querySelector('pre');
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: window.innerWidth,
                height: window.innerHeight, graphRight: g.right, graphTop: g.top, graphBottom: g.bottom,
                scroll: [box.scrollWidth, box.clientWidth, pre.scrollWidth, pre.clientWidth,
                         box.scrollHeight, box.clientHeight]};""")


@pytest.mark.parametrize("graph", ["lecture", "neuron", "mlp"])
def test_the_explanation_sits_beside_the_graph_and_is_not_cut(narrow, tmp_path, graph):
    from selenium.webdriver.common.keys import Keys

    root, names = mlp() if graph == "mlp" else GRAPHS[graph]()
    p = player(root, names=names, group_by_module=graph == "mlp", color_by_grad=graph == "mlp")
    element = open_page(narrow, p.save(tmp_path / f"{graph}.html").as_uri())
    assert narrow.execute_script("return window.innerWidth") <= 900
    for i in range(len(p.frames)):
        box = explanation_box(narrow)
        assert 0 <= box["left"] and box["right"] <= box["width"], (i, box)          # inside the window...
        assert box["left"] >= box["graphRight"] and box["top"] < box["graphBottom"], (i, box)   # ...beside the graph
        sw, cw, pre_sw, pre_cw, sh, ch = box["scroll"]
        assert sw <= cw and pre_sw <= pre_cw, (i, box)                             # no line cut on the right
        assert sh <= ch, (i, box)                                                  # nor at the bottom
        lines = narrow.find_element("css selector", ".explain .lines").text
        assert lines.replace("\n", " ").split() == " ".join(p.frames[i].explanation).split()
        element.send_keys(Keys.ARROW_RIGHT)
    if graph == "mlp":
        element.send_keys(Keys.HOME)
        for _ in range(len(p.frames) // 2):
            element.send_keys(Keys.ARROW_RIGHT)
        narrow.save_screenshot(str(pytest_shots() / "mlp_900px.png"))
    assert severe(narrow) == []


def pytest_shots():
    """Where the layout test leaves its screenshot for a person to look at (LABGRAD_SHOTS, else a temp folder)."""
    import pathlib
    import tempfile
    folder = pathlib.Path(os.environ.get("LABGRAD_SHOTS") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("graph", ["lecture", "mlp"])
def test_the_jupyter_iframe_shows_the_whole_player_in_a_900px_cell(narrow, tmp_path, graph):
    # the iframe of _repr_html_ in a 900 px cell: the explanation is inside the iframe's box, nothing scrolls
    root, names = mlp() if graph == "mlp" else lecture()
    p = player(root, names=names, group_by_module=graph == "mlp")
    page = tmp_path / "notebook.html"
    page.write_text('<!DOCTYPE html><html><body style="margin: 0"><div style="width: 880px">'
                    + p._repr_html_() + "</div></body></html>", encoding="utf-8")
    narrow.get_log("browser")
    narrow.get(page.as_uri())
    frame = narrow.find_element("tag name", "iframe")
    narrow.switch_to.frame(frame)
    try:
        box = explanation_box(narrow)
        narrow.save_screenshot(str(pytest_shots() / f"{graph}_iframe_900px.png"))
        sizes = narrow.execute_script("var d = document.documentElement;"
                                      "return [d.scrollWidth, d.clientWidth, d.scrollHeight, d.clientHeight];")
    finally:
        narrow.switch_to.default_content()
    assert box["right"] <= box["width"] and box["bottom"] <= box["height"], box
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes                   # the iframe is big enough
    assert severe(narrow) == []


def test_space_and_enter_on_a_focused_button_press_that_button(browser, pages):
    from selenium.webdriver.common.keys import Keys

    p, url, _ = pages["lecture"]
    open_page(browser, url)
    buttons = {b.get_attribute("data-act"): b for b in browser.find_elements("css selector", "button[data-act]")}
    assert all(b.get_attribute("aria-label") for b in buttons.values())
    assert buttons["play"].get_attribute("aria-pressed") == "false"
    assert browser.find_element("css selector", ".counter").get_attribute("aria-live") == "polite"
    buttons["next"].send_keys(Keys.SPACE)
    assert state(browser)[2:] == (1, False)               # next, not play
    buttons["next"].send_keys(Keys.ENTER)
    assert state(browser)[2:] == (2, False)
    assert browser.switch_to.active_element == buttons["next"]   # the focus stays: space presses it again
    buttons["next"].send_keys(Keys.SPACE)
    assert state(browser)[2] == 3
    buttons["next"].send_keys(Keys.ARROW_LEFT)            # the arrows still step from a button
    assert state(browser)[2] == 2
    buttons["play"].send_keys(Keys.SPACE)
    assert state(browser)[3] and buttons["play"].get_attribute("aria-pressed") == "true"
    buttons["play"].send_keys(Keys.SPACE)
    assert not state(browser)[3] and buttons["play"].get_attribute("aria-pressed") == "false"
    assert severe(browser) == []


def test_a_new_speed_applies_at_once(browser, pages):
    from selenium.webdriver.support.ui import Select

    p, url, _ = pages["neuron"]
    open_page(browser, url)
    Select(browser.find_element("css selector", ".speed select")).select_by_visible_text("0.5×")
    browser.find_element("css selector", "button[data-act=play]").click()
    Select(browser.find_element("css selector", ".speed select")).select_by_visible_text("40×")
    time.sleep(1.5)                                       # at 0.5× not even one frame; at 40× all of them
    assert state(browser)[2] == len(p.frames) - 1
    assert severe(browser) == []


def test_gradient_colours_show_only_in_the_final_frame(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    root, names = GRAPHS["diamond"]()
    p = player(root, names=names, color_by_grad=True)
    element = open_page(browser, p.save(tmp_path / "coloured.html").as_uri())

    def shown():
        return browser.execute_script("""
            var root = document.querySelector('.labgrad-player');
            var labels = Array.from(root.querySelectorAll('text.grad-label')).filter(function (t) {
                return getComputedStyle(t).visibility !== 'hidden'; }).length;
            var strokes = Array.from(root.querySelectorAll('path.edge:not(.on)')).map(function (e) {
                return getComputedStyle(e).stroke; });
            return [labels, new Set(strokes).size];""")

    for i in range(len(p.frames) - 1):
        assert shown() == [0, 1], i                       # no |grad| label, every edge in the one plain colour
        element.send_keys(Keys.ARROW_RIGHT)
    labels, colours = shown()
    assert labels == len([e for e in p.scene.edges if e.grad_label]) > 0 and colours > 1
    assert severe(browser) == []
