"""axe-core in the browser tests: inject it into a page and fail on serious or critical findings.

axe-core comes from npm (tests/static/axe/package.json and its lock file; `npm ci` in that folder
puts it in tests/static/axe/node_modules, which git ignores; .ci/run does this). Without it the
accessibility tests skip with the reason, and with CI=true they fail instead, as every other test
that needs a missing tool does.

How it gets into the page: the app's Content-Security-Policy allows scripts from 'self' only,
so a `<script>` tag with axe's text (Playwright's add_script_tag with content) would be refused
and logged as a CSP violation. Turning the policy off for the context (bypass_csp) would work,
but then the test would no longer see the page as users get it: a CSP regression would pass
unnoticed in exactly the tests that look at every page. Instead the source is evaluated through
the DevTools protocol (page.evaluate runs Runtime.evaluate), which the page's CSP does not
govern, and the page keeps its real policy. axe-core does not need eval for its built-in rules
(the `new Function` paths in its bundle serve only custom string-encoded rules and message
templates, which we do not pass); the console watcher of every test would report it if it did.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import Page

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# The WCAG 2.0-2.2 A/AA rules and axe's best practices; target-size (2.5.8) included.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}"""

# Hit areas axe does not check at 44 x 44 (its target-size rule asks for 24 x 24): the app
# promises 44 px for every control a finger taps (app.css), so the tests hold it to that.
SMALL_TARGETS = """() => {
  const small = [];
  const controls = document.querySelectorAll(
    "input[type=checkbox], input[type=radio], button, a[href], select, summary, [role=tab]");
  for (const el of controls) {
    if (!el.checkVisibility()) continue;
    // A checkbox or radio counts its label: the whole row is what the finger taps.
    const hit = (el.type === "checkbox" || el.type === "radio") && el.labels && el.labels[0]
      ? el.labels[0] : el;
    const box = hit.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // A link inside a sentence is exempt (WCAG 2.5.8 "inline"): its paragraph sets its size.
    if (el.tagName === "A" && getComputedStyle(el).display === "inline"
        && el.parentElement && el.parentElement.closest("p, li.msg, .prose")) continue;
    if (box.height < 44 || box.width < 44) {
      const id = el.id ? "#" + el.id : "";
      const cls = typeof el.className === "string" && el.className
        ? "." + el.className.split(" ").join(".") : "";
      const text = (el.textContent || el.value || "").trim().slice(0, 30);
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${el.tagName.toLowerCase()}${id}${cls} "${text}" ${size}`);
    }
  }
  return small;
}"""


def axe_source() -> str:
    """axe-core's text, or a skip (a failure under CI) when npm has not installed it."""
    if not AXE_JS.exists():
        reason = f"axe-core is not installed: run `npm ci` in {AXE_JS.parents[2]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE_JS.read_text()


async def violations(page: Page) -> list[dict[str, object]]:
    """axe's serious and critical violations on the page as it is now."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source() + "\n;void 0")
    found: list[dict[str, object]] = await page.evaluate(RUN, TAGS)
    return [v for v in found if v["impact"] in BLOCKING]


async def small_targets(page: Page) -> list[str]:
    """Visible controls smaller than 44 x 44 px (checkboxes and radios with their label)."""
    found: list[str] = await page.evaluate(SMALL_TARGETS)
    return found


def describe(where: str, found: list[dict[str, object]]) -> str:
    lines = [f"{where}:"]
    for v in found:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:  # type: ignore[index]
            lines.append(f"    {node['target']}: {node['summary']}")  # type: ignore[index]
    return "\n".join(lines)
