// Progressive enhancement for the dashboard: every page works without this file.
//
// 1. A plugin switch on the overview flips in place (no reload) and the change is announced
//    in the page's status region. On any failure the form is posted the ordinary way.
// 2. On the settings page, as the host types, the server is asked (debounced) whether the
//    value would be saved; its own sentence is shown beside the field before Save.
//
// Loaded with `defer` from /static/ (the Content-Security-Policy allows no inline script).
"use strict";

(function () {
  var ENHANCED = { "X-Alphapy-Enhanced": "1" };
  var CHECK_DELAY_MS = 350;

  function post(url, form) {
    return fetch(url, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: ENHANCED,
      credentials: "same-origin",
      redirect: "error"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) { throw new Error("not an enhanced answer"); }
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function announce(region, sentence) {
    region.textContent = sentence;
    region.hidden = !sentence;
  }

  // --- plugin switches ---------------------------------------------------------------
  function showSwitch(form, enabled) {
    var name = form.querySelector(".name").textContent;
    var next = enabled ? "off" : "on";
    form.querySelector("input[name=enabled]").value = next;
    form.querySelector(".state").textContent = enabled ? "On" : "Off";
    var button = form.querySelector("button");
    button.textContent = enabled ? "Switch off" : "Switch on";
    button.setAttribute("aria-label", "Switch " + name + " " + next);
  }

  function enhanceSwitch(form, region) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      post(form.action, form).then(function (answer) {
        if (answer.status !== 200) { throw new Error("refused"); }
        if (answer.data.enabled !== null) { showSwitch(form, answer.data.enabled); }
        announce(region, answer.data.sentence);
        button.disabled = false;
        button.focus();
      }).catch(function () {
        button.disabled = false;
        form.submit();  // the ordinary post: the server's page says what happened
      });
    });
  }

  // --- live validation of settings ----------------------------------------------------
  function enhanceSetting(form) {
    var field = form.querySelector("[name=value]:not([type=hidden])");
    var live = form.querySelector(".live-check");
    if (!field || !live) { return; }
    var timer = null;
    var asked = 0;
    function ask() {
      var mine = ++asked;
      post(form.action + "/check", form).then(function (answer) {
        if (mine !== asked) { return; }  // the host typed again since: a newer answer comes
        var refused = answer.data.ok === false;
        var saved = form.querySelector(".error[role=alert]");  // the last Save's refusal, now out of date
        if (saved) { saved.hidden = true; }
        announce(live, refused ? answer.data.sentence : "");
        if (refused) { field.setAttribute("aria-invalid", "true"); } else { field.removeAttribute("aria-invalid"); }
      }).catch(function () {
        if (mine === asked) { announce(live, ""); }  // no answer: Save still tells
      });
    }
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, CHECK_DELAY_MS);
    }
    field.addEventListener("input", later);
    field.addEventListener("change", later);
  }

  function start() {
    var region = document.getElementById("switch-status");
    if (region) {
      document.querySelectorAll(".switches form").forEach(function (form) { enhanceSwitch(form, region); });
    }
    document.querySelectorAll(".setting form:not(.reset)").forEach(enhanceSetting);
  }

  start();
})();
