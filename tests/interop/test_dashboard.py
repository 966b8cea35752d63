"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright.

Each test seeds a fake through its handle, opens the server's root as a browser does, and reads what the
page shows; the page must follow the fake as it changes, without a reload.  The screenshot of the seeded
page is saved under the test's tmp_path and checked to show something (decoded here, no imaging library).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fake_ecr import FakeEcr

from api.helpers import push_public
from interop.clients import require_module, require_program

pytestmark = pytest.mark.interop

JAN_1_2024 = 1704067200.0
#: How long the page may take to show a change: it polls every 2 s.
UPDATE_TIMEOUT_MS = 10_000
KEEP_NEWEST = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "keep the newest image",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
            "action": {"type": "expire"},
        }
    ]
}


def finding(name: str, severity: str) -> dict[str, str]:
    return {"name": name, "severity": severity, "package_name": "openssl", "package_version": "3.0.11-1"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = require_module("playwright.sync_api")
    executable = require_program("chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; whatever the browser reports as an error (a script error, a blocked resource, a
    Content-Security-Policy violation) fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert problems == []


def expect(locator: Any) -> Any:
    return require_module("playwright.sync_api").expect(locator)


def open_dashboard(page: Any, fake: FakeEcr) -> None:
    assert fake.server is not None
    page.goto(f"{fake.server.endpoint}/")
    expect(page.locator("#status")).to_contain_text("Updated", timeout=UPDATE_TIMEOUT_MS)


def png_pixels(data: bytes) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct pixels of an 8-bit RGB or RGBA PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    offset = 8
    while offset < len(data):
        (length,), kind = struct.unpack(">I", data[offset : offset + 4]), data[offset + 4 : offset + 8]
        chunks[kind] = chunks.get(kind, b"") + data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color_type, interlace) in {(8, 2, 0), (8, 6, 0)}
    size = 3 if color_type == 2 else 4
    raw, stride = zlib.decompress(chunks[b"IDAT"]), width * size
    previous, pixels = bytearray(stride), set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):  # undo the row's filter (PNG spec, section 9)
            left = line[i - size] if i >= size else 0
            up, up_left = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                near = min(
                    (abs(estimate - left), 0, left), (abs(estimate - up), 1, up), (abs(estimate - up_left), 2, up_left)
                )
                line[i] = (line[i] + near[2]) & 0xFF
        pixels.update(bytes(line[i : i + size]) for i in range(0, stride, size))
        previous = line
    return width, height, pixels


def test_the_root_shows_what_the_fake_holds_and_follows_it(fake_ecr: FakeEcr, page: Any, tmp_path: Path) -> None:
    fake_ecr.clock.set(JAN_1_2024)
    ecr = fake_ecr.client()
    ecr.create_repository(repositoryName="team/app", imageScanningConfiguration={"scanOnPush": True})
    first = fake_ecr.image(files={"release": "1"})
    fake_ecr.push("team/app:v1", first)
    fake_ecr.clock.advance(3600)
    fake_ecr.push("team/app:v2", fake_ecr.image(files={"release": "2"}))
    fake_ecr.set_findings(
        "team/app:v1",
        [finding("CVE-2024-0001", "CRITICAL"), finding("CVE-2024-0002", "CRITICAL"), finding("CVE-2024-0003", "HIGH")],
    )
    fake_ecr.complete_scans()
    ecr.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=json.dumps(KEEP_NEWEST))
    assert first.size_in_bytes < 1024  # shown in bytes

    open_dashboard(page, fake_ecr)

    repository = page.locator("section.repository", has_text="team/app")
    v1 = repository.locator("tr", has_text="v1")
    expect(page.locator("#clock")).to_contain_text("2024-01-01 01:00:00 UTC")
    expect(page.locator("#clock")).to_contain_text("stopped")
    expect(repository).to_contain_text("scan on push")
    expect(v1).to_contain_text(first.digest[:19])
    expect(v1).to_contain_text(f"{first.size_in_bytes} B")
    expect(v1).to_contain_text("2024-01-01 00:00:00 UTC")  # pushed, an hour before the clock
    expect(v1).to_contain_text("1h ago")
    expect(v1).to_contain_text("never")  # pulled
    expect(v1).to_contain_text("COMPLETE")
    expect(v1).to_contain_text("2 CRITICAL")
    expect(v1).to_contain_text("1 HIGH")
    policy = page.locator("section.policy", has_text="team/app")
    expect(policy).to_contain_text("expire any images beyond the newest 1 — keep the newest image")
    expect(policy).to_contain_text("Would expire (1): v1")

    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot), full_page=True)
    width, height, pixels = png_pixels(screenshot.read_bytes())
    assert width == 1280 and height >= 900
    assert len(pixels) > 50  # text, badges and rules, not a blank page
    card_width, _, card_pixels = png_pixels(repository.screenshot())
    assert card_width > 600 and len(card_pixels) > 20  # the seeded repository's card itself is drawn

    page.evaluate("window.notReloaded = true")
    fake_ecr.push("team/app:v3", fake_ecr.image(files={"release": "3"}))
    fake_ecr.clock.advance(2 * 86400)

    expect(repository.locator("tr", has_text="v3")).to_contain_text("2d ago", timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator("#clock")).to_contain_text("2024-01-03 01:00:00 UTC")
    expect(v1).to_contain_text("2d 1h ago")
    expect(policy).to_contain_text("Would expire (2)")
    assert page.evaluate("window.notReloaded") is True


def test_public_repositories_are_shown_under_their_own_heading(fake_ecr: FakeEcr, page: Any) -> None:
    fake_ecr.clock.set(JAN_1_2024)
    fake_ecr.client().create_repository(repositoryName="tools/hello")  # a private namesake
    ecr_public = fake_ecr.client("ecr-public", region_name="us-east-1")
    catalog = {"description": "Says hello", "architectures": ["ARM 64"], "operatingSystems": ["Linux"]}
    ecr_public.create_repository(repositoryName="tools/hello", catalogData=catalog)
    image = fake_ecr.image(files={"hello": "world"})
    push_public(ecr_public, "tools/hello", "v1", image)
    fake_ecr.clock.advance(3600)
    uri = ecr_public.describe_repositories()["repositories"][0]["repositoryUri"]

    open_dashboard(page, fake_ecr)

    public = page.locator("#public")
    expect(public.locator("h2")).to_have_text("Public repositories (ECR Public)")
    card = public.locator("section.public-repository", has_text="tools/hello")
    expect(card).to_contain_text(uri)
    expect(card).to_contain_text(f"alias {fake_ecr.public_registry().alias}")
    expect(card).to_contain_text("Says hello")
    expect(card).to_contain_text("ARM 64, Linux")
    v1 = card.locator("tr", has_text="v1")
    expect(v1).to_contain_text(image.digest[:19])
    expect(v1).to_contain_text(f"{image.size_in_bytes} B")
    expect(v1).to_contain_text("1h ago")
    expect(card.locator("th")).to_have_text(["Tags", "Digest", "Size", "Pushed"])  # no scans or pulls in ECR Public
    private = page.locator("#registries section.repository", has_text="tools/hello")
    expect(private).to_contain_text("No images.")
    expect(page.locator("#registries")).not_to_contain_text(uri)

    page.evaluate("window.notReloaded = true")
    fake_ecr.reset(account_id=fake_ecr.settings.account_id)

    expect(public).to_be_hidden(timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator("#registries")).to_have_text("No repositories yet.")
    assert page.evaluate("window.notReloaded") is True


def test_free_text_from_the_fake_is_shown_as_text(fake_ecr: FakeEcr, page: Any) -> None:
    fake_ecr.client().create_repository(repositoryName="app", imageScanningConfiguration={"scanOnPush": True})
    fake_ecr.push("app:v1", fake_ecr.image())
    markup = '<img src="x" onerror="window.injected = true"><b>bold</b>'
    fake_ecr.set_findings("app:v1", status="FAILED", description=markup)
    fake_ecr.complete_scans()

    open_dashboard(page, fake_ecr)

    expect(page.locator("section.repository")).to_contain_text(markup)
    assert page.locator("main img, main b").count() == 0
    assert page.evaluate("window.injected") is None


def test_the_page_says_when_the_fake_is_empty(fake_ecr: FakeEcr, page: Any) -> None:
    open_dashboard(page, fake_ecr)

    expect(page.locator("#registries")).to_have_text("No repositories yet.")
    expect(page.locator("#public")).to_be_hidden()  # shown once a public registry holds something
    expect(page.locator("#lifecycle")).to_have_text("No repository has a lifecycle policy.")
    expect(page.locator("#who")).to_contain_text("account 123456789012 · us-east-1")


@pytest.mark.parametrize(
    ("method", "path", "accept", "answer"),
    [
        pytest.param("GET", "/", "text/html,application/xhtml+xml,*/*;q=0.8", (200, "text/html"), id="browser-root"),
        pytest.param("GET", "/_fake-ecr/dashboard", "*/*", (200, "text/html"), id="dashboard-path"),
        pytest.param("HEAD", "/_fake-ecr/dashboard", "*/*", (200, "text/html"), id="dashboard-head"),
        # The registry's root stays ECR's 404 for every client that doesn't ask for a page.
        pytest.param("GET", "/", "*/*", (404, "application/json"), id="http-library-root"),
        pytest.param("GET", "/", "application/json", (404, "application/json"), id="json-root"),
        pytest.param("GET", "/", "text/html;q=0", (404, "application/json"), id="html-refused"),
        pytest.param("POST", "/_fake-ecr/dashboard", "text/html", (404, "application/json"), id="no-post"),
    ],
)
def test_who_gets_the_page(fake_ecr: FakeEcr, method: str, path: str, accept: str, answer: tuple[int, str]) -> None:
    assert fake_ecr.server is not None
    response = requests.request(method, fake_ecr.server.endpoint + path, headers={"Accept": accept}, timeout=30)
    assert (response.status_code, response.headers["Content-Type"].split(";")[0]) == answer
