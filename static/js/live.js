// A live topic: new replies, reaction counts, edits, removals and who is reading arrive over
// the event stream (an EventSource; it reconnects by itself and sends Last-Event-ID) and are
// put into the page. Without it the page is the same, by reload.
(function () {
  "use strict";

  function parse(event) {
    try { return JSON.parse(event.data); } catch (e) { return null; }
  }

  // The reader's CSRF token: any form on the page has it.
  function token() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Pushed blocks are the same for every reader of a kind, so their forms come with an empty
  // token: each form gets this reader's, by its input alone, never by searching the text.
  function nodesOf(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var own = token();
    holder.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
      input.value = own;
    });
    return Array.prototype.slice.call(holder.children);
  }

  function settle(nodes) {
    if (window.htmx) nodes.forEach(function (node) { window.htmx.process(node); });
    document.dispatchEvent(new CustomEvent("townsquare:live", { detail: nodes }));
  }

  // A post's block arrives without this reader's own state: their pressed reaction and
  // whether they are collecting it to quote. Carry those over from the block it replaces.
  function keepReaderState(old, fresh) {
    var pressed = old.querySelector(".react-form [aria-pressed=true]");
    var target = pressed && fresh.querySelector(
      '.react-form button[value="' + pressed.value + '"]');
    if (target) target.setAttribute("aria-pressed", "true");
    var quote = old.querySelector("form.multiquote");
    var freshQuote = fresh.querySelector("form.multiquote");
    if (quote && freshQuote) freshQuote.replaceWith(quote);
  }

  // The header's bell: its unread count arrives with the member's own events.
  function listenForBell(source) {
    source.addEventListener("bell", function (event) {
      var d = parse(event);
      var link = document.querySelector(".site-header .bell");
      var count = link && link.querySelector(".bell-count");
      if (!d || !count) return;
      count.textContent = String(d.unread);
      count.dataset.count = String(d.unread);
      link.setAttribute("aria-label", "Notifications, " + d.unread + " unread");
    });
  }

  // On pages without a topic stream, a member's own stream carries their bell.
  function startPersonal() {
    var link = document.querySelector(".site-header .bell[data-stream]");
    if (!link || !link.dataset.stream || !window.EventSource) return;
    listenForBell(new EventSource(link.dataset.stream, { withCredentials: true }));
  }

  function start() {
    var posts = document.getElementById("posts");
    if (!posts || !posts.dataset.stream || !window.EventSource) return startPersonal();
    var page = Number(posts.dataset.page), last = Number(posts.dataset.lastPage);
    var notice = document.getElementById("live-notice");
    var fresh = [];
    var source = new EventSource(posts.dataset.stream, { withCredentials: true });
    listenForBell(source);

    // The writer's own reply arrives twice, from the form's answer and from the stream,
    // in either order: keep the first copy of a post.
    new MutationObserver(function () {
      var seen = {};
      Array.prototype.slice.call(posts.querySelectorAll(":scope > [id^='post-']"))
        .forEach(function (node) {
          if (seen[node.id]) node.remove();
          else seen[node.id] = true;
        });
    }).observe(posts, { childList: true });

    function say(text, link) {
      if (!notice) return;
      notice.textContent = text ? text + " " : "";
      if (link) {
        var a = document.createElement("a");
        a.href = link.href;
        a.textContent = link.text;
        notice.appendChild(a);
      }
      notice.hidden = !text;
    }

    source.addEventListener("post_added", function (event) {
      var d = parse(event);
      if (!d || document.getElementById("post-" + d.post)) return;
      if (d.page === page && page === last) {
        var nodes = nodesOf(d.html);
        nodes.forEach(function (node) {
          node.classList.add("live-new");
          posts.appendChild(node);
        });
        settle(nodes);
        return;
      }
      fresh.push(d.post);
      var n = fresh.length;
      say(n + (n === 1 ? " new reply." : " new replies."),
          { href: "/p/" + fresh[0] + "/", text: n === 1 ? "Show it" : "Show them" });
    });
    source.addEventListener("post_changed", function (event) {
      var d = parse(event);
      var old = d && document.getElementById("post-" + d.post);
      if (!old) return;
      var nodes = nodesOf(d.html);
      if (!nodes.length) return;
      keepReaderState(old, nodes[0]);
      old.replaceWith(nodes[0]);
      settle(nodes);
    });
    source.addEventListener("reactions", function (event) {
      var d = parse(event);
      var box = d && document.getElementById("reactions-" + d.post);
      if (!box) return;
      var counts = nodesOf(d.html)[0];
      counts = counts && counts.querySelector(".reaction-counts");
      var old = box.querySelector(".reaction-counts");
      if (old && counts) old.replaceWith(counts);
      else if (old) old.remove();
      else if (counts) box.insertBefore(counts, box.firstChild);
    });
    source.addEventListener("presence", function (event) {
      var d = parse(event);
      var box = document.getElementById("browsing");
      var nodes = d ? nodesOf(d.html) : [];
      if (!box || !nodes.length) return;
      var typing = box.querySelector("#typing");
      var freshTyping = nodes[0].querySelector("#typing");
      if (typing && freshTyping) freshTyping.replaceWith(typing);
      box.replaceWith(nodes[0]);
    });
    var typingTimer = null;
    source.addEventListener("typing", function (event) {
      var d = parse(event);
      var line = document.getElementById("typing");
      if (!d || !line) return;
      line.textContent = d.username + " is replying…";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { line.textContent = ""; }, 6000);
    });
    source.addEventListener("refresh", function () {
      source.close();
      say("New activity on this topic.", { href: window.location.href, text: "Reload" });
    });
    source.addEventListener("paused", function () {
      say("Live updates paused; reloading the page still works.");
    });
    source.addEventListener("resumed", function () { say(""); });
  }

  // While a member writes a reply, tell the topic's other readers (at most every 5 seconds).
  var lastTyping = 0;
  document.addEventListener("input", function (event) {
    var box = event.target;
    var form = box && box.closest && box.closest("form[data-typing]");
    if (!form || box.name !== "body" || Date.now() - lastTyping < 5000) return;
    lastTyping = Date.now();
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.dataset.typing, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": input ? input.value : "" }
    }).catch(function () {});
  });

  document.addEventListener("DOMContentLoaded", start);
})();
