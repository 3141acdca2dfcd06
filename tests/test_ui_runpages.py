"""Run pages over real ``creg run`` runs in the local run store, in a real headless Chromium.

A pipeline whose first task waits for a file the test creates: the page shows the task
Running, its log followed, then (without a reload) Succeeded, the task after it appearing and
the artifact downloadable.  The README's screenshot is made here (``CREG_REGEN_GOLDEN=1``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers_browser import Served, assert_clean, colours, serve, start_browser, traffic
from registry.argo.runview import RunQuery
from registry.index.resolve import RegistryOptions
from registry.local.store import LocalRuns
from registry.ui import runs
from registry.ui.routes import Site

ROOT = Path(__file__).resolve().parent.parent

WAITS = """\
name: waits
description: The first task waits for a file; the others read its answer.
tasks:
  first:
    image: alpine:3.19
    command: [sh, -c, 'echo started; while [ ! -f "$0" ]; do sleep 0.1; done; echo 42 > "$1"; echo done', {flag},
              /tmp/outputs/answer]
    outputs: {{answer: /tmp/outputs/answer}}
  second:
    image: alpine:3.19
    command: [cat, {{file: first.answer}}]
  double:
    image: alpine:3.19
    command: [sh, -c, 'echo $(( $(cat "$0") * 2 ))', {{file: first.answer}}]
  report:
    image: alpine:3.19
    command: [echo, all done]
    after: [second, double]
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    browser = start_browser(tmp_path_factory.mktemp("chromium-profile"))
    browser.get("about:blank")
    try:
        yield browser
    finally:
        browser.quit()


def creg(*args: str, cwd: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "registry", *args], cwd=cwd, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def until(check: Callable[[], Any], timeout: float = 20) -> Any:
    """The first truthy ``check()`` within ``timeout`` seconds (the page updates on its own)."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(Site(RegistryOptions(), tmp_path, [], {"local": LocalRuns()}))


FIND = ("return Array.from(document.querySelectorAll('#graph g.node'))"
        ".find(g => g.querySelector('text.label').textContent === arguments[0]) || null")


def _node(driver: Any, label: str) -> Any:
    return driver.execute_script(FIND, label)


def _click(driver: Any, label: str) -> None:
    """Click a node (the graph is drawn again when new nodes start: find it afresh each try)."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):
        try:
            _node(driver, label).click()
            return
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise AssertionError(f"cannot click node {label}")


def _text(driver: Any, element_id: str) -> str:
    """An element's text read in one step (the run page redraws parts of itself as the run goes)."""
    return str(driver.execute_script("const e = document.getElementById(arguments[0]); return e ? e.innerText : ''",
                                     element_id))


def _phase(driver: Any, label: str) -> str:
    classes = driver.execute_script(f"const n = (() => {{ {FIND} }})(); return n ? n.getAttribute('class') : ''",
                                    label).split()
    return next((c[len("phase-"):] for c in classes if c.startswith("phase-")), "")


def test_a_running_pipeline_updates_live_and_its_logs_follow(driver: Any, served: Served, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    flag = tmp_path / "flag"
    (tmp_path / "waits.yaml").write_text(WAITS.format(flag=flag))
    run = creg("run", "waits.yaml", "--detach", "--experiment", "ui-test", cwd=tmp_path)
    traffic(driver)
    driver.get(served.url + "runs/index.html?experiment=ui-test")
    driver.find_element(By.LINK_TEXT, run).click()
    assert until(lambda: _phase(driver, "first") == "Running")
    driver.execute_script("window.notReloaded = true")
    _click(driver, "first")
    assert until(lambda: "started" in _text(driver, "logs"))
    flag.write_text("go")
    assert until(lambda: _phase(driver, "first") == "Succeeded")
    assert until(lambda: _phase(driver, "second") == "Succeeded")  # a node the page had not seen yet
    assert until(lambda: _phase(driver, "report") == "Succeeded")
    assert until(lambda: _text(driver, "run-phase") == "Succeeded")
    assert until(lambda: "done" in _text(driver, "logs"))  # followed to the end
    assert driver.execute_script("return window.notReloaded === true")
    assert until(lambda: "Exit code\t0" in _text(driver, "node-panel"))
    link = driver.execute_script("return document.querySelector('ul.artifacts a').href")
    with urllib.request.urlopen(link, timeout=30) as response:
        assert response.read() == b"42\n"
    assert colours(driver.get_screenshot_as_png()) > 10
    if os.environ.get("CREG_REGEN_GOLDEN") == "1":
        (ROOT / "docs" / "ui.png").write_bytes(driver.get_screenshot_as_png())
    assert_clean(driver, served.url)


def test_the_run_list_filters_by_experiment_and_status(driver: Any, served: Served, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    (tmp_path / "ok.yaml").write_text("name: ok\ntasks:\n  t:\n    image: alpine:3.19\n    command: [echo, hi]\n")
    (tmp_path / "bad.yaml").write_text("name: bad\ntasks:\n  t:\n    image: alpine:3.19\n    command: [sh, -c, 'exit 3']\n")
    good = creg("run", "ok.yaml", "--experiment", "exp-a", "--format", "json", cwd=tmp_path)
    subprocess.run([sys.executable, "-m", "registry", "run", "bad.yaml", "--experiment", "exp-b"], cwd=tmp_path,
                   capture_output=True, timeout=120)
    assert '"Succeeded"' in good
    traffic(driver)
    driver.get(served.url + "runs/")

    def filter_runs() -> None:
        """Submit the filter form and wait for the new page, so no element of the old one is read."""
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        old_table = driver.find_element(By.ID, "runs")
        driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(driver, 20).until(expected_conditions.staleness_of(old_table))
        WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, "runs")))

    def shown() -> list[tuple[str, str]]:
        rows = driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
        return sorted((r.find_elements(By.TAG_NAME, "td")[2].text, r.find_elements(By.TAG_NAME, "td")[3].text)
                      for r in rows)

    assert shown() == [("exp-a", "Succeeded"), ("exp-b", "Failed")]
    Select(driver.find_element(By.NAME, "experiment")).select_by_visible_text("exp-b")
    filter_runs()
    assert shown() == [("exp-b", "Failed")]
    Select(driver.find_element(By.NAME, "experiment")).select_by_visible_text("any")
    Select(driver.find_element(By.NAME, "phase")).select_by_visible_text("Succeeded")
    filter_runs()
    assert shown() == [("exp-a", "Succeeded")]
    Select(driver.find_element(By.NAME, "phase")).select_by_visible_text("Failed")
    filter_runs()
    driver.find_element(By.CSS_SELECTOR, "#runs tbody a").click()
    _click(driver, "t")
    assert until(lambda: "Exit code\t3" in _text(driver, "node-panel"))
    assert _phase(driver, "t") == "Failed"
    assert_clean(driver, served.url)


def _recorded(tmp_path: Path, pipeline: Path) -> str:
    shutil.copy(pipeline, tmp_path / pipeline.name)
    if (pipeline.parent / "components").is_dir():
        shutil.copytree(pipeline.parent / "components", tmp_path / "components", dirs_exist_ok=True)
    creg("run", pipeline.name, cwd=tmp_path)
    return str(LocalRuns().list_runs(RunQuery(limit=1))[0]["metadata"]["name"])


def test_a_recorded_runs_graph_has_its_graph_components_as_groups(tmp_path: Path) -> None:
    name = _recorded(tmp_path, ROOT / "tests" / "data" / "pipelines" / "graph.yaml")
    workflow = LocalRuns().get_run(name)
    graph = runs.run_graph(workflow)
    label = {n["id"]: n["label"] for n in graph["nodes"]}
    groups = {label[n["id"]]: sorted(label[c["id"]] for c in graph["nodes"] if c["parent"] == n["id"])
              for n in graph["nodes"] if n["kind"] == "group"}
    assert groups == {"twice": ["first-add", "second-add", "show"], "again": ["first-add", "second-add", "show"]}
    top = {(label[e["source"]], label[e["target"]]) for e in graph["edges"]}
    assert {("start", "twice"), ("twice", "again"), ("again", "report")} <= top
    state = runs.run_state(workflow)
    assert state["phase"] == "Succeeded" and not state["running"] and state["progress"] == "8/8"
    assert {n["phase"] for n in state["nodes"].values()} == {"Succeeded"}


TALK = """\
name: talk
params:
  greeting: {type: String, default: <b>hello</b>}
tasks:
  talk:
    image: alpine:3.19
    command: [sh, -c, 'echo one; echo two; echo 42 > "$0"', /tmp/outputs/answer, {param: greeting}]
    outputs: {answer: /tmp/outputs/answer}
  read:
    image: alpine:3.19
    command: [cat, {file: talk.answer}]
"""


def test_logs_and_artifacts_over_http(tmp_path: Path, served: Served) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "talk.yaml").write_text(TALK)
    name = _recorded(tmp_path, tmp_path / "pipeline" / "talk.yaml")
    with urllib.request.urlopen(f"{served.url}api/runs/local/{name}/logs.json?task=talk&offset=0") as response:
        assert json.load(response) == {"lines": ["one", "two"], "next": 2}
    with urllib.request.urlopen(f"{served.url}api/runs/local/{name}/logs.json?task=talk&offset=1") as response:
        assert json.load(response) == {"lines": ["two"], "next": 2}
    with urllib.request.urlopen(f"{served.url}runs/local/{name}.html") as response:
        page = response.read().decode()
    assert "<code>greeting</code></td><td><code>&lt;b&gt;hello&lt;/b&gt;</code>" in page  # the run's parameters
    nodes = runs.run_state(LocalRuns().get_run(name))["nodes"]
    talk = next(i for i, n in nodes.items() if n["name"] == "talk")
    with urllib.request.urlopen(f"{served.url}runs/local/{name}/artifacts/{talk}/answer") as response:
        assert response.read() == b"42\n"
    for bad in (f"runs/local/{name}/artifacts/{talk}/..%2f..%2flog.txt", f"runs/local/{name}/artifacts/x/answer",
                f"runs/local/{name}/artifacts/{talk}/log.txt", "runs/local/nosuch.html", "api/runs/local/nosuch.json",
                "runs/argo/x.html"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(served.url + bad)
        assert refused.value.code == 404, bad
