// swe-env viewer: a little vanilla JS. Live pages refresh themselves; "unfold all" opens
// every folded observation; opening a #step-N permalink unfolds that step.
(function () {
  "use strict";

  function refreshLive(ms) {
    window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("main");
          if (fresh) { document.getElementById("main").replaceWith(fresh); }
          var again = doc.body.getAttribute("data-live-refresh") || ms;
          if (document.getElementById("live") || doc.body.hasAttribute("data-live-refresh")) {
            refreshLive(Number(again));
          }
        })
        .catch(function () { refreshLive(ms * 2); });
    }, ms);
  }

  function openTarget() {
    var target = window.location.hash && document.querySelector(window.location.hash);
    if (target) {
      target.querySelectorAll("details").forEach(function (d) { d.open = true; });
    }
  }

  document.addEventListener("click", function (ev) {
    if (ev.target.matches("button.unfold-all")) {
      var open = ev.target.textContent === "unfold all";
      document.querySelectorAll("details.obs").forEach(function (d) { d.open = open; });
      ev.target.textContent = open ? "fold all" : "unfold all";
    }
  });
  window.addEventListener("hashchange", openTarget);
  document.addEventListener("DOMContentLoaded", function () {
    openTarget();
    var live = document.getElementById("live");
    var ms = (live && live.getAttribute("data-refresh")) || document.body.getAttribute("data-live-refresh");
    if (ms) { refreshLive(Number(ms)); }
  });
})();
