"""The UI in a real headless Chromium: pages load clean, search filters, graphs draw, nodes click.

Skips visibly without a browser (see ``helpers_browser``).  (The README's screenshot is made by
``test_ui_runpages``.)
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_browser import Served, assert_clean, colours, serve, start_browser, traffic
from helpers_ui import ui_site
from registry.index.resolve import RegistryOptions
from registry.ui.routes import Site

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    browser = start_browser(tmp_path_factory.mktemp("chromium-profile"))
    browser.get("about:blank")
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "examples", folder / "examples", ignore=shutil.ignore_patterns("golden"))
    shutil.copy(ROOT / "tests" / "data" / "pipelines" / "graph.yaml", folder / "graph.yaml")
    shutil.copytree(ROOT / "tests" / "data" / "pipelines" / "components", folder / "components")
    broken = folder / "broken.yaml"
    broken.write_text("name: broken\ntasks:\n  first:\n    component: add@1.0.0\n    args: {a: 1, b: 2}\n"
                      "  second:\n    component: add@1.0.0\n    args: {a: {output: first}, bb: 2}\n")
    yield from serve(ui_site(tmp_path, folder))


def _open(driver: Any, url: str) -> None:
    traffic(driver)  # drain what came before (the browser's own start-up pages, earlier tests)
    driver.get(url)
    driver.execute_script("return document.readyState")  # waits for load


def _rows_shown(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#catalog .row[data-search]')).filter(r => !r.hidden)"
        ".map(r => r.querySelector('a').textContent)")


def test_catalog_loads_clean_and_search_filters_as_you_type(driver: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, served.url)
    every = _rows_shown(driver)
    assert {"calc", "evil", "add", "divmod"} <= set(every)
    box = driver.find_element(By.ID, "search")
    box.send_keys("divi")  # 'divmod' by its description ("Divides ...")
    assert _rows_shown(driver) == ["divmod"]
    assert driver.find_element(By.ID, "shown").text == "1"
    box.send_keys("zzz")
    assert _rows_shown(driver) == []
    assert driver.find_element(By.ID, "no-match").is_displayed()
    box.clear()
    box.send_keys(" ")
    assert len(_rows_shown(driver)) == len(every)
    assert colours(driver.get_screenshot_as_png()) > 10
    assert_clean(driver, served.url)


def test_a_long_catalog_shows_the_first_matches_and_the_rest_on_request(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    lines = ["apiVersion: creg/v1", "components:"]
    for i in range(150):
        lines += [f"  c{i:03d}:", "  - version: 1.0.0", f"    digest: sha256:{i:064x}",
                  f"    description: number {i}", "    source: {path: c/component.yaml}"]
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "index.yaml").write_text("\n".join(lines) + "\n")
    for served in serve(Site(RegistryOptions((str(tmp_path / "big"),)), tmp_path)):
        _open(driver, served.url)
        assert len(_rows_shown(driver)) == 100
        more = driver.find_element(By.ID, "show-all")
        assert more.text == f"Show all {150 + 10} matches"  # with the built-in registry's ten
        more.click()
        assert len(_rows_shown(driver)) == 160 and not more.is_displayed()
        driver.find_element(By.ID, "search").send_keys("c14")
        assert _rows_shown(driver) == [f"c14{i}" for i in range(10)]
        assert_clean(driver, served.url)


def test_user_text_shows_as_text_never_as_html(driver: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, served.url + "components/evil.html")
    assert driver.execute_script("return window.pwned === undefined")
    assert "<script>window.pwned=1</script>" in driver.find_element(By.CSS_SELECTOR, "p.description").text
    assert driver.find_elements(By.CSS_SELECTOR, "main img") == []
    assert_clean(driver, served.url)


def test_component_page_shows_versions_notes_and_diff(driver: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(driver, served.url + "components/calc@1.0.0.html")
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "Deprecated: use 1.1.0: it takes c (use calc@1.1.0)" in page
    assert "--allow-breaking" in page
    assert driver.find_element(By.ID, "ref").text == "calc@1.0.0"
    button = driver.find_element(By.CSS_SELECTOR, "button.copy[data-copy='ref']")
    button.click()
    for _ in range(50):  # the clipboard answers asynchronously
        selected = driver.execute_script("return window.getSelection().toString()")
        if button.text == "Copied" or selected:
            break
        time.sleep(0.1)
    if button.text == "Copied":
        driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": served.url.rstrip("/"),
                                                            "permissions": ["clipboardReadWrite"]})
        assert driver.execute_script("return navigator.clipboard.readText()") == "calc@1.0.0"
    else:  # the clipboard refused: the reference is selected, ready for Ctrl-C
        assert selected == "calc@1.0.0"
    form = driver.find_element(By.CSS_SELECTOR, "form.diff-picker")
    Select(form.find_element(By.NAME, "old")).select_by_visible_text("1.0.0")
    Select(form.find_element(By.NAME, "new")).select_by_visible_text("2.0.0")
    form.find_element(By.TAG_NAME, "button").click()
    from selenium.webdriver.support.ui import WebDriverWait

    # Wait for the diff page itself, so nothing of the version page is read after the click.
    WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/diff/calc@1.0.0/2.0.0.html"))
    rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "table.diff tbody tr")]
    assert any(r.startswith("removed inputs.b") for r in rows), rows
    assert any(r.startswith("changed image python:3.11 python:3.12") for r in rows), rows
    assert_clean(driver, served.url)


def test_pipeline_graph_draws_and_a_node_click_shows_it(driver: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, served.url + "pipelines/")
    driver.find_element(By.LINK_TEXT, "examples/calculation.yaml").click()
    nodes = driver.find_elements(By.CSS_SELECTOR, "#graph g.node")
    assert sorted(n.get_attribute("data-id") for n in nodes) == ["add-1", "add-2", "divmod"]
    labels = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#graph g.edge text")]
    assert "quotient" in labels  # the output that travels from divmod to add-2
    ys = {n.get_attribute("data-id"): n.rect["y"] for n in nodes}
    assert ys["add-1"] < ys["divmod"] < ys["add-2"]  # laid out top to bottom along the edges
    driver.find_element(By.CSS_SELECTOR, "#graph g.node[data-id='divmod']").click()
    panel = driver.find_element(By.ID, "node-panel")
    assert panel.is_displayed() and "divmod@1.0.0" in panel.text
    assert "dividend output add-1.sum" in panel.text
    assert colours(driver.get_screenshot_as_png()) > 10
    assert_clean(driver, served.url)


def test_graph_components_expand_and_collapse(driver: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, served.url + "pipelines/view.html?file=graph.yaml")

    def drawn() -> list[str]:
        return sorted(n.get_attribute("data-id") for n in driver.find_elements(By.CSS_SELECTOR, "#graph g.node"))

    inner = ["again/first-add", "again/second-add", "again/show", "twice/first-add", "twice/second-add", "twice/show"]
    assert drawn() == sorted(["start", "twice", "again", "report", *inner])  # small graphs start open
    driver.find_element(By.ID, "collapse-all").click()
    assert drawn() == ["again", "report", "start", "twice"]
    driver.find_element(By.CSS_SELECTOR, "#graph g.node[data-id='twice'] .toggle").click()
    assert drawn() == sorted(["again", "report", "start", "twice", *inner[3:]])
    assert driver.find_element(By.CSS_SELECTOR, "#graph g.node[data-id='twice']").get_attribute("class").count("cluster")
    assert_clean(driver, served.url)


def test_lint_problems_show_on_the_graph(driver: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, served.url + "pipelines/view.html?file=broken.yaml")
    bad = driver.find_elements(By.CSS_SELECTOR, "#graph g.node.has-problems")
    assert [n.get_attribute("data-id") for n in bad] == ["second"]
    assert "bb" in driver.find_element(By.CSS_SELECTOR, "section.problems").text
    assert_clean(driver, served.url)


def test_unknown_page_is_a_404_page(driver: Any, served: Served) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, served.url + "no/such/page.html")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Not found"
    seen = traffic(driver)
    assert seen.failed == [f"404 {served.url}no/such/page.html"]  # the page itself, nothing else
