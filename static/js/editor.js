// The post editor: formatting buttons, images by picker, drop or paste, and @mention
// suggestions. Everything here is an extra: without it the textarea, the "Add an image" page
// and the Preview button still work.
(function () {
  "use strict";

  var WRAP = {
    bold: ["**", "**", "bold text"],
    italic: ["_", "_", "italic text"],
    code: ["`", "`", "code"],
    link: ["[", "](https://)", "link text"],
    quote: ["\n> ", "\n", "quoted text"],
    spoiler: ["\n::: spoiler\n", "\n:::\n", "hidden text"],
    chart: ["\n```chart\ntitle: ", "\ntype: bar\nMonth, Value\nJanuary, 1\nFebruary, 2\n```\n", "Chart title"]
  };

  function csrfToken(box) {
    var form = box.form;
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function status(box, message) {
    var root = box.closest("[data-editor]");
    var region = root && root.querySelector(".editor-status");
    if (region) region.textContent = message;
  }

  function insert(box, before, after, placeholder) {
    var start = box.selectionStart, end = box.selectionEnd;
    var chosen = box.value.slice(start, end) || placeholder || "";
    box.setRangeText(before + chosen + after, start, end, "end");
    if (!box.value.slice(start, end) && placeholder) {
      box.setSelectionRange(start + before.length, start + before.length + chosen.length);
    }
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Images -----------------------------------------------------------------------------
  var uploads = 0;

  function upload(box, file) {
    if (!/^image\//.test(file.type)) { status(box, file.name + " is not an image."); return; }
    uploads += 1;
    var marker = "![Uploading " + file.name.replace(/[\[\]()]/g, "") + " (" + uploads + ")…]()";
    insert(box, marker + "\n", "", "");
    status(box, "Uploading " + file.name + "…");
    var data = new FormData();
    data.append("image", file);
    data.append("alt", file.name.replace(/\.[a-z0-9]+$/i, "").replace(/[-_]+/g, " "));
    fetch(box.dataset.uploadUrl, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(box), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) throw new Error(result.body.error || "The upload failed.");
      box.value = box.value.replace(marker, result.body.markdown);
      status(box, file.name + " added.");
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }).catch(function (error) {
      box.value = box.value.replace(marker + "\n", "").replace(marker, "");
      status(box, file.name + ": " + (error.message || "the upload failed."));
    });
  }

  function imagesFrom(list) {
    return Array.prototype.filter.call(list || [], function (f) { return f.kind ? f.kind === "file" : true; })
      .map(function (f) { return f.getAsFile ? f.getAsFile() : f; })
      .filter(function (f) { return f && /^image\//.test(f.type); });
  }

  // Mentions ---------------------------------------------------------------------------
  function mentionAt(box) {
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|[\s(])@([\w.+-]{1,30})$/.exec(before);
    return match ? { query: match[2], start: box.selectionStart - match[2].length - 1 } : null;
  }

  function setupMentions(box) {
    var list = document.createElement("ul");
    list.className = "mention-suggestions";
    list.id = box.id + "_mentions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Members to mention");
    list.hidden = true;
    box.parentNode.insertBefore(list, box.nextSibling);
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    var timer = null, active = -1, current = null;

    function close() {
      list.hidden = true; list.innerHTML = ""; active = -1; current = null;
      box.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      box.setAttribute("aria-activedescendant", options[active].id);
    }
    function choose(index) {
      var option = list.querySelectorAll("[role=option]")[index];
      if (!option || !current) return;
      var name = option.dataset.username;
      box.setRangeText("@" + name + " ", current.start, box.selectionStart, "end");
      close();
      box.focus();
    }
    function show(members, found) {
      list.innerHTML = "";
      members.forEach(function (m, i) {
        var li = document.createElement("li");
        li.id = list.id + "_" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.username = m.username;
        li.textContent = "@" + m.username;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      current = found;
      list.hidden = members.length === 0;
      if (members.length) {
        highlight(0);
        status(box, members.length + " member" + (members.length === 1 ? "" : "s") +
               " found: arrows to choose, Enter to insert.");
      }
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var found = mentionAt(box);
      if (!found) { close(); return; }
      timer = setTimeout(function () {
        fetch(box.dataset.suggestUrl + "?q=" + encodeURIComponent(found.query),
              { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { members: [] }; })
          .then(function (data) { show(data.members || [], found); })
          .catch(close);
      }, 200);
    });
    box.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    box.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // Setup ------------------------------------------------------------------------------
  function setup(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var box = root.querySelector("textarea");
    var toolbar = root.querySelector(".editor-toolbar");
    if (!box) return;
    if (toolbar) {
      toolbar.hidden = false;
      toolbar.addEventListener("click", function (e) {
        var button = e.target.closest("button[data-md]");
        if (!button) return;
        var w = WRAP[button.dataset.md];
        insert(box, w[0], w[1], w[2]);
      });
      var picker = toolbar.querySelector("input[type=file]");
      if (picker) picker.addEventListener("change", function () {
        imagesFrom(picker.files).forEach(function (f) { upload(box, f); });
        picker.value = "";
      });
    }
    box.addEventListener("dragover", function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) {
        e.preventDefault(); root.classList.add("dropping");
      }
    });
    box.addEventListener("dragleave", function () { root.classList.remove("dropping"); });
    box.addEventListener("drop", function (e) {
      root.classList.remove("dropping");
      var files = imagesFrom(e.dataTransfer && e.dataTransfer.files);
      if (!files.length) return;
      e.preventDefault();
      files.forEach(function (f) { upload(box, f); });
    });
    box.addEventListener("paste", function (e) {
      var files = imagesFrom(e.clipboardData && e.clipboardData.items);
      if (!files.length) return;
      e.preventDefault();
      files.forEach(function (f) { upload(box, f); });
    });
    setupMentions(box);
  }

  function setupAll() { document.querySelectorAll("[data-editor]").forEach(setup); }
  document.addEventListener("DOMContentLoaded", setupAll);
  document.addEventListener("htmx:after:swap", setupAll);
})();
