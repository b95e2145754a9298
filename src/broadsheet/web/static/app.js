/* Broadsheet keyboard shortcuts: one registry, ignored while typing, can be switched off.
 * j / k  move between items (story cards, results, timeline entries)
 * o      open the selected item
 * /      focus the search field
 * ?      open the help dialog
 * No inline scripts anywhere: this file is loaded with `defer` under a strict CSP. */
(function () {
  "use strict";
  var OFF_KEY = "broadsheet.shortcuts.off";
  var current = -1;

  function shortcutsOff() {
    try { return window.localStorage.getItem(OFF_KEY) === "1"; } catch (e) { return false; }
  }

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("main [data-item]"));
  }

  function select(index) {
    var list = items();
    if (!list.length) { return; }
    if (index < 0) { index = 0; }
    if (index >= list.length) { index = list.length - 1; }
    list.forEach(function (el) { el.classList.remove("is-selected"); el.removeAttribute("aria-current"); });
    current = index;
    var el = list[index];
    el.classList.add("is-selected");
    el.setAttribute("aria-current", "true");
    var link = el.querySelector("[data-open]") || el.querySelector("a[href]");
    if (link) { link.focus(); } else { el.setAttribute("tabindex", "-1"); el.focus(); }
    el.scrollIntoView({ block: "nearest" });
  }

  function openSelected() {
    var list = items();
    var el = list[current];
    if (!el) { return; }
    var link = el.querySelector("[data-open]") || el.querySelector("a[href]");
    if (link) { window.location.assign(link.href); }
  }

  function focusSearch() {
    var field = document.querySelector("[data-shortcut-search]");
    if (document.getElementById("search-q")) { field = document.getElementById("search-q"); }
    if (field) { field.focus(); field.select(); }
  }

  function help() {
    var dialog = document.getElementById("help-dialog");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }

  var SHORTCUTS = {
    "j": function () { select(current + 1); },
    "k": function () { select(current - 1); },
    "o": openSelected,
    "/": focusSearch,
    "?": help
  };

  function typing(target) {
    if (!target) { return false; }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) { return; }
    var action = SHORTCUTS[event.key];
    if (!action) { return; }
    if (shortcutsOff() && event.key !== "?") { return; }
    event.preventDefault();
    action();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("shortcuts-off");
    if (toggle) {
      toggle.checked = shortcutsOff();
      toggle.addEventListener("change", function () {
        try { window.localStorage.setItem(OFF_KEY, toggle.checked ? "1" : "0"); } catch (e) { /* private mode */ }
      });
    }
  });

  // A list swapped in by htmx starts a fresh selection.
  document.addEventListener("htmx:afterSwap", function () { current = -1; });
})();
