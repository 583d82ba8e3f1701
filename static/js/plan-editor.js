/* Plan editor: formatting buttons and reading help while an organiser types.

   The page (templates/plans/editor/edit.html) holds
     <form id="part-form" data-analyse-url data-term-url data-locale> with input csrf_token;
     <textarea name="NAME" data-analyse> for each text that gets reading help;
     <div class="markup-toolbar" data-for="NAME"> with <button data-markup="bold|list|term">;
     <div id="analysis-NAME" data-label-*>, <p id="analysis-NAME-status" role="status">,
     <div id="preview-NAME"> and, if present, <div id="highlight-NAME">.
   Typing (debounced) posts the text to data-analyse-url and redraws the analysis; the preview
   and the highlight are HTML the server has already sanitised or escaped, everything else is
   built with textContent. Only the new reading ease (and "word added") is said, in the status:
   the analysis is redrawn whole and is no live region. A "data-add-term" button adds a rare word
   to the words to know (data-term-url) and links its first use in the text. A failed request
   changes nothing. A toolbar is one Tab stop; the arrow keys, Home and End move along it.
   No inline script or style and no eval, for the strict Content-Security-Policy. */
(function () {
  "use strict";
  var form = document.getElementById("part-form");
  if (!form) { return; }

  var DEBOUNCE_MS = 400;
  var timers = {};
  var sequence = {};
  var notices = {};

  /* ---- small helpers ---- */

  function csrfToken() {
    var input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function locale() {
    return form.getAttribute("data-locale") || "";
  }

  function textarea(name) {
    var areas = form.querySelectorAll("textarea");
    for (var i = 0; i < areas.length; i += 1) {
      if (areas[i].name === name) { return areas[i]; }
    }
    return null;
  }

  function isAnalysed(area) {
    return area.hasAttribute("data-analyse") || !!document.getElementById("analysis-" + area.name);
  }

  /* "Reading ease: {ease}" with {name} replaced from values; unknown names stay as written. */
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function label(box, name, fallback) {
    var value = box.getAttribute("data-label-" + name);
    return value === null ? fallback : value;
  }

  function decimal(value) {
    var number = Number(value);
    return isFinite(number) ? number.toFixed(1) : String(value);
  }

  function whole(value) {
    var number = Number(value);
    if (!isFinite(number)) { return String(value); }
    return Math.round(number) === number ? String(number) : number.toFixed(1);
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  /* A glossary key as the server makes it (drafts.term_key): "Société civile" -> "societe-civile". */
  function termKey(words) {
    var plain = String(words).toLowerCase().replace(/\u00df/g, "ss").normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "");
    var key = plain.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);
    return key || "word";
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: body
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  /* Replace text[start:end] with `replacement`, keeping the browser's undo history when it
     can, then select [selectStart, selectEnd) (positions in the new text). */
  function replaceRange(area, start, end, replacement, selectStart, selectEnd) {
    area.focus();
    area.setSelectionRange(start, end);
    var done = false;
    try {
      done = document.execCommand && document.execCommand("insertText", false, replacement);
    } catch (error) {
      done = false;
    }
    if (!done || area.value.slice(start, start + replacement.length) !== replacement) {
      area.setRangeText(replacement, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    area.setSelectionRange(selectStart, selectEnd);
  }

  /* With nothing selected, the word around the caret. */
  function selection(area) {
    var start = area.selectionStart;
    var end = area.selectionEnd;
    if (start === end) {
      var value = area.value;
      var wordChar = /[\p{L}\p{N}\p{M}-]/u;
      while (start > 0 && wordChar.test(value.charAt(start - 1))) { start -= 1; }
      while (end < value.length && wordChar.test(value.charAt(end))) { end += 1; }
    }
    /* Spaces at either end stay outside the marks. */
    var chosen = area.value.slice(start, end);
    start += chosen.length - chosen.replace(/^\s+/, "").length;
    end -= chosen.length - chosen.replace(/\s+$/, "").length;
    return { start: start, end: Math.max(start, end) };
  }

  /* ---- formatting buttons ---- */

  function bold(area) {
    var range = selection(area);
    var chosen = area.value.slice(range.start, range.end);
    replaceRange(area, range.start, range.end, "**" + chosen + "**",
      range.start + 2, range.start + 2 + chosen.length);
  }

  function list(area) {
    var value = area.value;
    var start = value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    var stop = area.selectionEnd;
    if (stop > area.selectionStart && value.charAt(stop - 1) === "\n") { stop -= 1; }
    var end = value.indexOf("\n", stop);
    if (end === -1) { end = value.length; }
    var lines = value.slice(start, end).split("\n").map(function (line) {
      if (!line.trim() || /^\s*- /.test(line)) { return line; }
      return "- " + line.replace(/^\s+/, "").replace(/^[-*\u2022]\s*/, "");
    });
    var replacement = lines.join("\n");
    if (!replacement.trim()) { replacement = "- "; }
    replaceRange(area, start, end, replacement, start + replacement.length,
      start + replacement.length);
  }

  function term(area) {
    var range = selection(area);
    var chosen = area.value.slice(range.start, range.end).replace(/\s+/g, " ");
    if (!chosen || /[[\]|]/.test(chosen)) { area.focus(); return; }
    var mark = "[[" + termKey(chosen) + "|" + chosen + "]]";
    replaceRange(area, range.start, range.end, mark, range.start + mark.length,
      range.start + mark.length);
  }

  var ACTIONS = { bold: bold, list: list, term: term };

  /* ---- reading help ---- */

  /* Say `text` in the field's status region (once: the same words again are not repeated). */
  function announce(name, text) {
    var status = document.getElementById("analysis-" + name + "-status");
    if (status && status.textContent !== text) { status.textContent = text; }
  }

  function render(name, data) {
    var box = document.getElementById("analysis-" + name);
    if (!box) { return; }
    var values = {
      ease: decimal(data.ease),
      target: whole(data.target),
      formula: data.formula,
      words: data.words,
      sentences: data.sentences,
      per_sentence: decimal(data.per_sentence)
    };
    var parts = [];
    if (notices[name]) {
      parts.push(element("p", notices[name], "editor-notice"));
      notices[name] = "";
    }
    var ease = fill(label(box, "ease", "Reading ease: {ease} ({formula}), target {target}"),
      values);
    parts.push(element("p", ease,
      Number(data.ease) < Number(data.target) ? "reading-low" : "reading-ok"));
    parts.push(element("p",
      fill(label(box, "per-sentence", "{per_sentence} words per sentence"), values)));

    var long = Array.isArray(data.long) ? data.long : [];
    if (long.length) {
      parts.push(element("p", fill(label(box, "long", "Long sentences"), values)));
      var longList = element("ul");
      long.forEach(function (sentence) { longList.appendChild(element("li", sentence)); });
      parts.push(longList);
    }

    var rare = Array.isArray(data.rare) ? data.rare : [];
    if (rare.length) {
      parts.push(element("p", fill(label(box, "rare", "Rare words"), values)));
      var rareList = element("ul");
      rare.forEach(function (word) {
        var item = element("li", String(word) + " ");
        var button = element("button", fill(label(box, "add", "Add {word}"), { word: word }),
          "button-secondary");
        button.type = "button";
        button.setAttribute("data-add-term", String(word));
        item.appendChild(button);
        rareList.appendChild(item);
      });
      parts.push(rareList);
    }

    var unknown = Array.isArray(data.unknown_terms) ? data.unknown_terms : [];
    if (unknown.length) {
      var template = label(box, "unknown", "Links to words not in the list");
      var terms = unknown.join(", ");
      var text = template.indexOf("{terms}") === -1
        ? template + ": " + terms : fill(template, { terms: terms });
      parts.push(element("p", text, "staff-alert"));
    }

    while (box.firstChild) { box.removeChild(box.firstChild); }
    parts.forEach(function (part) { box.appendChild(part); });
    announce(name, ease);

    var preview = document.getElementById("preview-" + name);
    if (preview && typeof data.preview === "string") {
      preview.innerHTML = data.preview; /* sanitised by the server (clean_html) */
    }
    var highlighted = document.getElementById("highlight-" + name);
    if (highlighted && typeof data.highlight === "string") {
      highlighted.innerHTML = data.highlight; /* escaped by the server (writing.highlight) */
    }
  }

  function analyse(name) {
    var area = textarea(name);
    var analyseUrl = form.getAttribute("data-analyse-url");
    if (!area || !analyseUrl || !window.fetch) { return; }
    sequence[name] = (sequence[name] || 0) + 1;
    var mine = sequence[name];
    post(analyseUrl, { csrf_token: csrfToken(), locale: locale(), field: name, text: area.value })
      .then(function (data) {
        if (mine !== sequence[name] || !data || typeof data !== "object") { return; }
        render(name, data);
      })
      .catch(function () { /* offline or refused: keep what is shown */ });
  }

  function schedule(name) {
    window.clearTimeout(timers[name]);
    timers[name] = window.setTimeout(function () { analyse(name); }, DEBOUNCE_MS);
  }

  /* The first use of `word` as a whole word outside [[...]], in any case (a word reported in
     lowercase may start a sentence). */
  function firstUse(text, word) {
    var links = [];
    var linkPattern = /\[\[[^\[\]]*\]\]/g;
    var found;
    while ((found = linkPattern.exec(text)) !== null) {
      links.push([found.index, found.index + found[0].length]);
    }
    function inLink(position) {
      return links.some(function (link) { return position >= link[0] && position < link[1]; });
    }
    var letter = /[\p{L}\p{N}\p{M}_-]/u;
    function search(haystack, needle) {
      var from = 0;
      while (needle) {
        var at = haystack.indexOf(needle, from);
        if (at === -1) { return -1; }
        var end = at + needle.length;
        if (!letter.test(text.charAt(at - 1) || " ") && !letter.test(text.charAt(end) || " ")
            && !inLink(at)) {
          return at;
        }
        from = at + 1;
      }
      return -1;
    }
    var lower = text.toLowerCase();
    var lowerWord = word.toLowerCase();
    if (lower.length === text.length && lowerWord.length === word.length) {
      return search(lower, lowerWord);
    }
    return search(text, word);
  }

  function addTerm(button) {
    var box = button.closest('[id^="analysis-"]');
    var termUrl = form.getAttribute("data-term-url");
    if (!box || !termUrl || !window.fetch) { return; }
    var name = box.id.slice("analysis-".length);
    var area = textarea(name);
    var word = button.getAttribute("data-add-term");
    if (!area || !word) { return; }
    button.disabled = true;
    post(termUrl, { csrf_token: csrfToken(), locale: locale(), term: word })
      .then(function (data) {
        if (!data || typeof data.key !== "string" || !data.key) { throw new Error("no key"); }
        var at = firstUse(area.value, word);
        if (at !== -1) {
          var written = area.value.slice(at, at + word.length);
          var mark = "[[" + data.key + "|" + written + "]]";
          var caret = area.selectionStart;
          if (caret > at) { caret = Math.max(caret + mark.length - word.length, at + mark.length); }
          replaceRange(area, at, at + word.length, mark, caret, caret);
        }
        var announced = label(box, "added", "") || "[[" + data.key + "|" + word + "]]";
        notices[name] = fill(announced, { word: word, key: data.key, term: data.term || word });
        var notice = element("p", notices[name], "editor-notice");
        box.insertBefore(notice, box.firstChild);
        announce(name, notices[name]);
        window.clearTimeout(timers[name]);
        analyse(name);
      })
      .catch(function () { button.disabled = false; });
  }

  /* ---- toolbars: one Tab stop each (roving tabindex), as role="toolbar" promises ---- */

  function toolbarButtons(toolbar) {
    return Array.prototype.slice.call(toolbar.querySelectorAll("button"));
  }

  function makeCurrent(toolbar, button) {
    toolbarButtons(toolbar).forEach(function (other) {
      other.tabIndex = other === button ? 0 : -1;
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll(".markup-toolbar"), function (toolbar) {
    var buttons = toolbarButtons(toolbar);
    if (buttons.length) { makeCurrent(toolbar, buttons[0]); }
    toolbar.addEventListener("keydown", function (event) {
      var list = toolbarButtons(toolbar);
      var at = list.indexOf(document.activeElement);
      if (at === -1 || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var rtl = window.getComputedStyle(toolbar).direction === "rtl";
      var forward = rtl ? "ArrowLeft" : "ArrowRight";
      var backward = forward === "ArrowRight" ? "ArrowLeft" : "ArrowRight";
      var next;
      if (event.key === forward) { next = (at + 1) % list.length; }
      else if (event.key === backward) { next = (at - 1 + list.length) % list.length; }
      else if (event.key === "Home") { next = 0; }
      else if (event.key === "End") { next = list.length - 1; }
      else { return; }
      event.preventDefault();
      makeCurrent(toolbar, list[next]);
      list[next].focus();
    });
  });

  /* ---- wiring ---- */

  form.addEventListener("input", function (event) {
    var area = event.target;
    if (area && area.tagName === "TEXTAREA" && area.name && isAnalysed(area)) {
      schedule(area.name);
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("button") : null;
    if (!target) { return; }
    if (target.hasAttribute("data-add-term")) {
      event.preventDefault();
      addTerm(target);
      return;
    }
    var action = ACTIONS[target.getAttribute("data-markup")];
    var toolbar = target.closest(".markup-toolbar");
    if (!action || !toolbar) { return; }
    event.preventDefault();
    makeCurrent(toolbar, target);
    var area = textarea(toolbar.getAttribute("data-for"));
    if (area && !area.readOnly && !area.disabled) { action(area); }
  });
})();
