// Onboarding editor, enhanced: drag a rule or question row to reorder it, and see a question's
// preview while typing. Without this script every part still works: the Move up / Move down
// buttons post the move form, the Preview button posts the preview form.
"use strict";

(function () {
  const PREVIEW_DELAY_MS = 700;

  // --- drag to reorder: posts the same move form as the buttons --------------------------------

  function moveAction(row) {
    const remove = row.querySelector('form[action$="/remove"]');
    return remove ? remove.getAttribute("action").replace(/\/remove$/, "/move") : null;
  }

  function postMove(action, position, token) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    for (const [name, value] of [["csrf_token", token], ["position", String(position)]]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
  }

  function enableDragging(tbody) {
    const rows = Array.from(tbody.querySelectorAll("tr[id]"));
    if (rows.length < 2) return;
    let dragged = null;
    rows.forEach(function (row, index) {
      const action = moveAction(row);
      const token = row.querySelector('input[name="csrf_token"]');
      if (!action || !token) return;
      row.draggable = true;
      row.classList.add("draggable");
      row.dataset.position = String(index + 1);
      row.addEventListener("dragstart", function (event) {
        dragged = row;
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.id);
      });
      row.addEventListener("dragend", function () {
        row.classList.remove("dragging");
        dragged = null;
      });
      row.addEventListener("dragover", function (event) {
        if (dragged && dragged !== row && dragged.parentNode === row.parentNode) {
          event.preventDefault();
          event.dataTransfer.dropEffect = "move";
        }
      });
      row.addEventListener("drop", function (event) {
        if (!dragged || dragged === row || dragged.parentNode !== row.parentNode) return;
        event.preventDefault();
        const from = dragged;
        postMove(moveAction(from), Number(row.dataset.position),
                 from.querySelector('input[name="csrf_token"]').value);
      });
    });
  }

  // --- live preview: asks the Preview endpoint as the host types --------------------------------

  function enableLivePreview(form) {
    const button = form.querySelector('button[formaction$="/question-preview"]');
    if (!button) return;
    const region = document.createElement("section");
    region.id = "live-preview";
    region.className = "panel";
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-label", "Live preview");
    form.parentNode.insertBefore(region, form);
    let timer = null;
    let latest = 0;
    let lastAsked = "";

    async function refresh() {
      const body = new URLSearchParams(new FormData(form));
      // each preview is a POST counted against the dashboard's write limit: ask only for a change
      if (body.toString() === lastAsked) return;
      lastAsked = body.toString();
      const asked = ++latest;
      let text;
      try {
        const answer = await fetch(button.formAction, {
          method: "POST", body: body, credentials: "same-origin", headers: {"X-Live-Preview": "1"},
        });
        text = await answer.text();
      } catch (error) {
        return; // offline for a moment: the Preview button still works
      }
      if (asked !== latest) return; // a newer preview is on its way
      const page = new DOMParser().parseFromString(text, "text/html");
      const shown = page.querySelector('section[aria-labelledby="preview-heading"]') ||
                    page.querySelector("#question-error");
      region.replaceChildren();
      if (shown) {
        const copy = document.importNode(shown, true);
        copy.removeAttribute("id");
        copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
        copy.removeAttribute("aria-labelledby");
        region.appendChild(copy);
      }
    }

    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, PREVIEW_DELAY_MS);
    });
  }

  document.querySelectorAll("table.data tbody").forEach(enableDragging);
  document.querySelectorAll("form").forEach(enableLivePreview);
})();
