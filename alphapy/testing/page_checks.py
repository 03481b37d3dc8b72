"""What a person (or a screen reader) would trip over on a page, read from the live DOM.

Evaluated through DevTools, which the page's Content-Security-Policy does not govern, so a
strict page is checked without loosening its policy. CSP violations themselves are not
found here: Chromium reports them on the console, which :class:`~alphapy.testing.browser.BrowserPage`
listens to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Page

_PAGE_PROBLEMS_JS = """() => {
  const problems = [];
  for (const s of document.querySelectorAll('script:not([src])')) problems.push('inline <script>');
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) problems.push(`inline handler ${a.name} on <${el.localName}>`);
    }
  }
  for (const a of document.querySelectorAll('[href^="javascript:" i]')) problems.push('javascript: link');
  const named = (el) => el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (type === 'hidden') continue;
    if (['submit', 'button', 'reset'].includes(type)) {
      if (!(el.value || named(el))) problems.push(`unnamed ${type} button`);
    } else if (!(el.labels && el.labels.length) && !named(el)) {
      problems.push(`<${el.localName} name="${el.name}"> has no label`);
    }
  }
  for (const b of document.querySelectorAll('button')) {
    if (!(b.textContent.trim() || named(b))) problems.push('button without a name');
  }
  return problems;
}"""

_FOCUS_VISIBLE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== 'none';
}"""


async def page_problems(page: Page) -> list[str]:
    """Inline script or handlers, ``javascript:`` links, controls without a label, buttons
    without a name; one line each, empty when the page has none."""
    return [str(problem) for problem in await page.evaluate(_PAGE_PROBLEMS_JS)]


async def focus_is_visible(page: Page) -> bool:
    """Whether the focused element shows it (an outline or a shadow), as keyboard users need."""
    return bool(await page.evaluate(_FOCUS_VISIBLE_JS))


__all__ = ["focus_is_visible", "page_problems"]
