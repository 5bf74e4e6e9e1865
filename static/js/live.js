// A live topic: new replies, reaction counts, edits, removals and who is reading arrive over
// the event stream and are put into the page. Without it the page is the same, by reload.
(function () {
  "use strict";
  var HOLE = "\ue000csrf\ue001";

  function start() {
    var posts = document.getElementById("posts");
    if (!posts || !posts.dataset.stream || !window.EventSource) return;
    var page = Number(posts.dataset.page), last = Number(posts.dataset.lastPage);
    var notice = document.getElementById("live-notice");
    var fresh = [];
    var source = new EventSource(posts.dataset.stream, { withCredentials: true });

    function data(event) {
      try { return JSON.parse(event.data); } catch (e) { return null; }
    }
    function token() {
      var input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }
    function say(html) {
      if (!notice) return;
      notice.innerHTML = html;
      notice.hidden = !html;
    }
    function place(html, where) {
      var holder = document.createElement("div");
      holder.innerHTML = html.split(HOLE).join(token());
      var nodes = Array.prototype.slice.call(holder.children);
      nodes.forEach(function (node) { where(node); });
      if (window.htmx) nodes.forEach(function (node) { window.htmx.process(node); });
      document.dispatchEvent(new CustomEvent("townsquare:live", { detail: nodes }));
    }

    source.addEventListener("post_added", function (event) {
      var d = data(event);
      if (!d || document.getElementById("post-" + d.post)) return;
      if (d.page === page && page === last) {
        place(d.html, function (node) { posts.appendChild(node); });
      } else {
        fresh.push(d.post);
        var n = fresh.length;
        say(n + " new repl" + (n === 1 ? "y" : "ies") + ". <a href=\"/p/" + fresh[0] +
            "/\">Show " + (n === 1 ? "it" : "them") + "</a>");
      }
    });
    source.addEventListener("post_changed", function (event) {
      var d = data(event);
      var body = d && document.querySelector("#post-" + d.post + " .post-body");
      if (body) body.innerHTML = d.html;
    });
    source.addEventListener("post_removed", function (event) {
      var d = data(event);
      var body = d && document.querySelector("#post-" + d.post + " .post-body");
      if (!body) return;
      var gone = document.createElement("p");
      gone.className = "post-deleted";
      gone.textContent = "This post was deleted.";
      body.replaceWith(gone);
    });
    source.addEventListener("reactions", function (event) {
      var d = data(event);
      var box = d && document.getElementById("reactions-" + d.post);
      if (!box) return;
      var holder = document.createElement("div");
      holder.innerHTML = d.html;
      var counts = holder.querySelector(".reaction-counts");
      var old = box.querySelector(".reaction-counts");
      if (old && counts) old.replaceWith(counts);
      else if (old) old.remove();
      else if (counts) box.insertBefore(counts, box.firstChild);
    });
    source.addEventListener("presence", function (event) {
      var d = data(event);
      var box = document.getElementById("browsing");
      if (d && box) place(d.html, function (node) { box.replaceWith(node); });
    });
    var typingTimer = null;
    source.addEventListener("typing", function (event) {
      var d = data(event);
      var line = document.getElementById("typing");
      if (!d || !line || d.username === posts.dataset.me) return;
      line.textContent = d.username + " is replying…";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { line.textContent = ""; }, 6000);
    });
    source.addEventListener("refresh", function () {
      source.close();
      say("New activity on this topic. <a href=\"\">Reload the page</a> to see it.");
    });
    source.addEventListener("paused", function () { say("Live updates paused; reloading still works."); });
    source.addEventListener("resumed", function () { say(""); });
  }

  // While a member writes a reply, tell the topic's readers (at most every five seconds).
  var lastTyping = 0;
  document.addEventListener("input", function (event) {
    var box = event.target;
    var form = box && box.closest && box.closest("form[data-typing]");
    if (!form || box.name !== "body" || Date.now() - lastTyping < 5000) return;
    lastTyping = Date.now();
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.dataset.typing, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" } }).catch(function () {});
  });

  document.addEventListener("DOMContentLoaded", start);
})();
