// Small glue for Townsquare pages. Everything works without it; this only smooths things.
(function () {
  "use strict";

  // A plain form (no htmx) submits once: a double click must not send it twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post")) return;
    if (form.dataset.submitted) { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(function () { delete form.dataset.submitted; }, 5000);
  });

  // Keep relative times ("6 minutes ago") true while a page stays open.
  var units = [[31536000, "year"], [2592000, "month"], [604800, "week"], [86400, "day"], [3600, "hour"], [60, "minute"]];
  function relative(date) {
    var seconds = Math.floor((Date.now() - date.getTime()) / 1000);
    for (var i = 0; i < units.length; i++) {
      if (seconds >= units[i][0]) {
        var n = Math.floor(seconds / units[i][0]);
        return n + " " + units[i][1] + (n === 1 ? "" : "s") + " ago";
      }
    }
    return "just now";
  }
  function refresh() {
    document.querySelectorAll("time.rel[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date)) el.textContent = relative(date);
    });
  }
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:after:swap", refresh);
  setInterval(refresh, 60000);

  // After a quote is loaded into the reply box, put the cursor at its end.
  document.addEventListener("htmx:after:swap", function (event) {
    var area = document.getElementById("reply-area");
    var box = area && area.querySelector("textarea");
    if (box && box.value && event.target && event.target.closest && event.target.closest(".quote-link")) {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }
  });
})();
