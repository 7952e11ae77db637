"""Every customer, staff and owner screen in real Chromium, checked by axe-core (WCAG 2.2
A and AA plus axe's best practices): on a 360 × 740 phone in light and dark colour
schemes, in English and (customer screens) Korean, on a 320 px phone, and the staff
and owner screens on a 1024 px tablet in both schemes: no violations, no sideways
scrolling, and every tap target at least 44 × 44 CSS px.

With TABBY_SCREENSHOTS=1 the 360 px walks also save every customer screen, light and
dark, English and Korean, under <output_dir>/screenshots (`make screenshots` copies
them into docs/screenshots); that is off by default to keep the suite quick.

How a page looks does not depend on the database, so these walks are `screens` tests:
`make test` runs them once, in the SQLite pass.
"""

import io
import os

import pytest
from PIL import Image

from tests.helpers import browser_as

pytestmark = [pytest.mark.browser, pytest.mark.screens]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\\n` +
    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary}`).join("\\n"));
}"""

# Controls smaller than 44 × 44 CSS px. Links inside a sentence are exempt, as WCAG
# 2.5.8 allows; a radio button or checkbox counts with the label that wraps it.
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (!el.getClientRects().length || getComputedStyle(el).visibility === "hidden") continue;
    if (el.tagName === "A" && getComputedStyle(el).display === "inline") continue;
    const target = (el.type === "radio" || el.type === "checkbox") && el.closest("label")
      ? el.closest("label") : el;
    const box = target.getBoundingClientRect();
    if (box.width < 43.5 || box.height < 43.5) {
      const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
      small.push(`${el.outerHTML.slice(0, 90)}: ${size}`);
    }
  }
  return small;
}"""

PHONE = {"is_mobile": True, "has_touch": True}


def walk(
    browser,
    live_server,
    screens,
    axe_source,
    *,
    width,
    height,
    scheme,
    only=None,
    shoot=False,
    locale="en-US",
):
    """Open each screen as its viewer; return {screen name: [problems]} and, if asked,
    the customer screens' screenshots."""
    problems, shots = {}, {}
    contexts = {}
    try:
        for screen in screens.all:
            if only and screen.audience != only:
                continue
            if screen.who not in contexts:
                options = PHONE if width < 600 else {"has_touch": True}
                context = browser_as(
                    browser,
                    live_server,
                    screens,
                    screen.who,
                    viewport={"width": width, "height": height},
                    color_scheme=scheme,
                    locale=locale,
                    **options,
                )
                # An init script is not subject to the page's CSP, so axe can run on
                # pages that forbid inline and injected scripts.
                context.add_init_script(path=str(axe_source))
                contexts[screen.who] = context.new_page()
            page = contexts[screen.who]
            response = page.goto(screen.path)
            found = []
            if response.status != screen.status:
                found.append(f"status {response.status}, expected {screen.status}")
            found += page.evaluate(RUN_AXE, AXE_TAGS)
            found += [f"tap target {t}" for t in page.evaluate(SMALL_TARGETS)]
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                found.append(f"scrolls sideways: {scroll_width} px wide in a {width} px screen")
            if found:
                problems[screen.name] = found
            if shoot and screen.audience == "customer":
                shots[screen.name] = page.screenshot(full_page=True)
    finally:
        for page in contexts.values():
            page.context.close()
    return problems, shots


def report(problems) -> str:
    return "\n".join(
        f"{name}:\n  " + "\n  ".join(found) for name, found in sorted(problems.items())
    )


def save_small_png(data: bytes, path) -> None:
    # A palette PNG is a third of the size and looks the same for flat UI colours.
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def shoot_into(output_dir, shots, suffix) -> None:
    folder = output_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in shots.items():
        save_small_png(data, folder / f"{name}-{suffix}.png")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_screen_passes_axe_on_a_360x740_phone(
    browser, live_server, screens, axe_source, scheme, output_dir
):
    """The narrow Android phone most customers hold (and the one the first-minutes
    issue was found on); with TABBY_SCREENSHOTS=1 it draws the customer screenshots."""
    problems, shots = walk(
        browser,
        live_server,
        screens,
        axe_source,
        width=360,
        height=740,
        scheme=scheme,
        shoot=os.environ.get("TABBY_SCREENSHOTS") == "1",
    )
    shoot_into(output_dir, shots, scheme)
    assert not problems, report(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_korean_customer_screens_pass_axe_on_a_360x740_phone(
    browser, live_server, screens, axe_source, scheme, output_dir
):
    """The same walk with the phone set to Korean (its Accept-Language): longer or
    shorter words must not break the layout, and the screenshots get a Korean set."""
    problems, shots = walk(
        browser,
        live_server,
        screens,
        axe_source,
        width=360,
        height=740,
        scheme=scheme,
        only="customer",
        shoot=os.environ.get("TABBY_SCREENSHOTS") == "1",
        locale="ko-KR",
    )
    shoot_into(output_dir, shots, f"{scheme}-ko")
    assert not problems, report(problems)


def test_every_screen_passes_axe_on_a_320px_phone(browser, live_server, screens, axe_source):
    """The smallest phone still sold; colours are the 360 px walk's, so light only."""
    problems, _ = walk(
        browser, live_server, screens, axe_source, width=320, height=640, scheme="light"
    )
    assert not problems, report(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_staff_screens_pass_axe_on_a_1024px_tablet(
    browser, live_server, screens, axe_source, scheme
):
    problems, _ = walk(
        browser,
        live_server,
        screens,
        axe_source,
        width=1024,
        height=768,
        scheme=scheme,
        only="staff",
    )
    assert not problems, report(problems)
