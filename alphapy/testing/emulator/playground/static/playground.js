// The playground's only script: live message lists and autocomplete. Every page works
// without it (forms and a refresh); menus never submit on change, so arrowing through them
// with the keyboard switches nothing until the button is pressed.
"use strict";

function liveMessages() {
  const list = document.querySelector("[data-live]");
  if (!list || !window.EventSource) return;
  const base = list.dataset.live;
  let loading = false, again = false;
  async function reload() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
      const response = await fetch(base + "/messages", { credentials: "same-origin" });
      if (response.ok) {
        const open = [...list.querySelectorAll("details[open]")].map((d) => d.closest("article").id);
        list.innerHTML = await response.text();
        open.forEach((id) => { const d = document.querySelector("#" + id + " details"); if (d) d.open = true; });
        if (atBottom) list.scrollTop = list.scrollHeight;
        document.body.dataset.liveVersion = String(Number(document.body.dataset.liveVersion || 0) + 1);
      }
    } finally {
      loading = false;
      if (again) { again = false; reload(); }
    }
  }
  // from the state this page was rendered at: what happened since is not missed
  const stream = new EventSource(base + "/events?since=" + encodeURIComponent(list.dataset.stamp || ""));
  stream.addEventListener("changed", reload);
  stream.addEventListener("open", () => { document.body.dataset.live = "on"; });
  list.scrollTop = list.scrollHeight;
}

function autocomplete() {
  const form = document.querySelector("form[data-command]");
  if (!form) return;
  form.querySelectorAll("[data-autocomplete]").forEach((input) => {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const params = new URLSearchParams();
        params.set("command", form.dataset.command);
        params.set("focused", input.dataset.autocomplete);
        for (const [name, value] of new FormData(form)) {
          if (typeof value === "string" && name !== "csrf_token" && name !== "command") params.append(name, value);
        }
        const response = await fetch(form.dataset.autocompleteUrl + "?" + params, { credentials: "same-origin" });
        if (!response.ok) return;
        const { choices } = await response.json();
        list.replaceChildren(...choices.map((choice) => {
          const option = document.createElement("option");
          option.value = choice.value;
          option.textContent = choice.name;
          return option;
        }));
      }, 150);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => { liveMessages(); autocomplete(); });
