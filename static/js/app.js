/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  /* Listen: read a block aloud with the device's own voice, in the page's language. Every
     [data-listen] button names the blocks it reads (a CSS selector). A device with no voice for
     this language says so in words beside the button instead of staying silent or reading
     French with an English voice. Returns a function that wires one more button (the pop-up
     builds its own), or null when this browser cannot speak at all (the buttons stay hidden). */
  var BLOCKS = "h1, h2, h3, p, li, dt, dd";

  /* The words of a block as sentences: each paragraph, list item or definition once, with a
     full stop where it has none, so the voice pauses between them. Buttons are never read. */
  function readableText(selector) {
    var parts = [];
    function add(node) {
      if (node.closest("[data-listen-box], [hidden]")) { return; }
      var text = (node.innerText || node.textContent || "").replace(/\s+/g, " ").trim();
      if (!text) { return; }
      parts.push(/[.!?:;\u2026\u00bb"')]$/.test(text) ? text : text + ".");
    }
    document.querySelectorAll(selector).forEach(function (root) {
      if (!root.querySelector(BLOCKS)) { add(root); return; }
      root.querySelectorAll(BLOCKS).forEach(function (node) {
        if (!node.querySelector(BLOCKS)) { add(node); }
      });
    });
    return parts.join(" ");
  }

  function setUpListen() {
    if (!("speechSynthesis" in window) || !window.speechSynthesis ||
        typeof window.SpeechSynthesisUtterance !== "function") {
      return null;
    }
    var synth = window.speechSynthesis;
    var lang = (document.documentElement.lang || "").toLowerCase();
    var buttons = [];
    var playing = null; /* the button whose words are being read */

    function voice() {
      var voices = synth.getVoices() || [];
      for (var i = 0; i < voices.length; i += 1) {
        var code = (voices[i].lang || "").toLowerCase().replace("_", "-");
        if (code === lang || code.indexOf(lang + "-") === 0) { return voices[i]; }
      }
      return null;
    }

    function note(button) { return button.parentNode.querySelector("[data-listen-note]"); }

    function reset(button) {
      button.setAttribute("aria-pressed", "false");
      button.querySelector("[data-listen-label]").textContent = button.getAttribute("data-listen-text");
      if (playing === button) { playing = null; }
    }

    function stop() {
      if (playing) { reset(playing); }
      synth.cancel();
    }

    function wire(button) {
      var label = button.querySelector("[data-listen-label]");
      if (!label || button.hasAttribute("data-listen-text")) { return; }
      button.setAttribute("data-listen-text", label.textContent.trim());
      if (button.getAttribute("data-listen-place") === "after-heading") {
        var heading = document.querySelector(button.getAttribute("data-listen") + " h2");
        if (heading) { heading.after(button.parentNode); }
      }
      buttons.push(button);
      button.hidden = false;
      reset(button);
      button.addEventListener("click", function () {
        if (playing === button) { stop(); return; }
        var chosen = voice();
        if (!chosen) {
          stop();
          note(button).textContent = button.getAttribute("data-no-voice");
          return;
        }
        var words = readableText(button.getAttribute("data-listen"));
        if (!words) { return; }
        stop();
        note(button).textContent = "";
        var utterance = new window.SpeechSynthesisUtterance(words);
        utterance.lang = lang;
        utterance.voice = chosen;
        utterance.rate = 0.9;
        utterance.onend = function () { if (playing === button) { reset(button); } };
        utterance.onerror = utterance.onend;
        playing = button;
        button.setAttribute("aria-pressed", "true");
        label.textContent = button.getAttribute("data-label-stop");
        synth.speak(utterance);
      });
    }

    document.querySelectorAll("[data-listen]").forEach(wire);
    /* Voices often arrive after the page (Chrome loads them later): look again then. */
    function voicesChanged() {
      if (!voice()) { return; }
      buttons.forEach(function (button) { note(button).textContent = ""; });
    }
    if (typeof synth.addEventListener === "function") {
      synth.addEventListener("voiceschanged", voicesChanged);
    } else {
      synth.onvoiceschanged = voicesChanged;
    }
    window.addEventListener("pagehide", stop);
    return {wire: wire, stop: stop};
  }

  /* Hard words: a tap opens the explanation in a dialog instead of jumping down the page.
     The dialog is built here because only scripted pages use it. */
  function buildDialog(closeLabel, listen) {
    var dialog = document.createElement("dialog");
    dialog.className = "term-dialog";
    dialog.setAttribute("aria-labelledby", "term-dialog-title");
    var body = document.createElement("div");
    body.id = "term-dialog-body";
    var title = document.createElement("h2");
    title.id = "term-dialog-title";
    var text = document.createElement("p");
    body.append(title, text);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.textContent = closeLabel;
    close.addEventListener("click", function () { dialog.close(); });
    var actions = document.createElement("div");
    actions.className = "term-dialog-actions";
    var template = document.getElementById("listen-template");
    if (listen && template) {
      var box = template.content.firstElementChild.cloneNode(true);
      actions.appendChild(box);
      listen.wire(box.querySelector("[data-listen]"));
    }
    actions.appendChild(close);
    dialog.append(body, actions);
    document.body.appendChild(dialog);
    return {dialog: dialog, title: title, text: text, close: close};
  }

  function setUpGlossary(listen) {
    var source = document.querySelector("[data-close-label]");
    if (!source || typeof HTMLDialogElement !== "function") { return; }
    var ui = null;
    var opener = null;

    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a.term") : null;
      if (!link) { return; }
      var entry = document.getElementById("term-" + link.getAttribute("data-term"));
      if (!entry) { return; }
      event.preventDefault();
      if (!ui) {
        ui = buildDialog(source.getAttribute("data-close-label"), listen);
        ui.dialog.addEventListener("close", function () {
          if (listen) { listen.stop(); }
          if (opener) { opener.focus(); }
        });
        ui.dialog.addEventListener("click", function (e) {
          /* a tap on the backdrop (outside the box) closes it */
          var box = ui.dialog.getBoundingClientRect();
          var outside = e.clientX < box.left || e.clientX > box.right ||
                        e.clientY < box.top || e.clientY > box.bottom;
          if (e.target === ui.dialog && outside) { ui.dialog.close(); }
        });
      }
      ui.title.textContent = entry.querySelector("dt").textContent;
      ui.text.textContent = entry.querySelector("dd").textContent;
      ui.dialog.querySelectorAll("[data-listen-note]").forEach(function (n) { n.textContent = ""; });
      opener = link;
      ui.dialog.showModal();
      ui.close.focus();
    });
  }

  /* A link to something inside a closed <details> ("Words to know") opens it first, so the
     page never scrolls to a hidden block (browsers without find-in-page expansion). */
  function setUpDisclosures() {
    function open(hash) {
      if (!hash || hash.length < 2) { return; }
      var target = document.getElementById(decodeURIComponent(hash.slice(1)));
      var details = target ? target.closest("details") : null;
      if (details && !details.open) { details.open = true; }
    }
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      if (link) { open(link.getAttribute("href")); }
    });
    window.addEventListener("hashchange", function () { open(window.location.hash); });
    open(window.location.hash);
  }

  /* Nothing lost: an idea is kept on this device while it is typed, restored if sending
     failed, and forgotten once the server confirms it (or the child presses "I'm finished"). */
  function storage() {
    try { return window.localStorage; } catch (e) { return null; } /* private mode, blocked */
  }

  /* A send whose answer never came (a dropped network, a failed thank-you page) is remembered
     with its key: sending the same words again reuses the key, so the server finds the idea it
     may already have stored instead of storing it twice. */
  function readPending(store, key) {
    try { return JSON.parse(store.getItem("pending:" + key) || "null"); } catch (e) { return null; }
  }

  function setUpDrafts() {
    var store = storage();
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var key = form.getAttribute("data-draft");
      var box = form.querySelector("textarea");
      var button = form.querySelector("[data-send]");
      var sendKey = form.querySelector("input[name=idempotency_key]");
      if (!box) { return; }
      if (store && !box.value.trim() && store.getItem(key)) {
        box.value = store.getItem(key);
        var note = form.querySelector("[data-draft-note]");
        if (note) { note.hidden = false; }
        var pending = readPending(store, key);
        if (pending && sendKey && pending.text === box.value) { sendKey.value = pending.key; }
      }
      box.addEventListener("input", function () {
        if (!store) { return; }
        if (box.value.trim()) { store.setItem(key, box.value); } else { store.removeItem(key); }
      });
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-sending")) { event.preventDefault(); return; } /* double tap */
        form.setAttribute("data-sending", "1");
        if (store && sendKey) {
          try {
            store.setItem(key, box.value);
            store.setItem("pending:" + key, JSON.stringify({key: sendKey.value, text: box.value}));
          } catch (e) { /* storage full or blocked: the server still deduplicates retries */ }
        }
        if (button) {
          button.setAttribute("aria-disabled", "true");
          var label = button.querySelector("span");
          if (label) { label.textContent = button.getAttribute("data-sending-label"); }
        }
        /* If the network drops, let the child try again after a while. */
        window.setTimeout(function () { form.removeAttribute("data-sending"); }, 15000);
      });
    });
    var sent = document.querySelector("[data-clear-draft]");
    if (sent && store) {
      store.removeItem(sent.getAttribute("data-clear-draft"));
      store.removeItem("pending:" + sent.getAttribute("data-clear-draft"));
    }
    if (document.querySelector("[data-clear-storage]")) {
      try { window.localStorage.clear(); window.sessionStorage.clear(); } catch (e) { /* none */ }
    }
  }

  /* A shared tablet left alone goes to "I'm finished" by itself. */
  function setUpIdleTimeout() {
    var body = document.body;
    var seconds = parseInt(body.getAttribute("data-idle-seconds"), 10);
    var url = body.getAttribute("data-finish-url");
    if (!seconds || !url) { return; }
    if (document.querySelector("[data-clear-storage]")) { return; } /* already finished */
    var auto = document.querySelector("form[data-auto-submit]");
    if (auto) { auto.submit(); return; }
    var last = Date.now();
    ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
      window.addEventListener(name, function () { last = Date.now(); }, {passive: true});
    });
    window.setInterval(function () {
      if (Date.now() - last > seconds * 1000) { window.location.assign(url); }
    }, 5000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var listen = setUpListen();
    setUpGlossary(listen);
    setUpDisclosures();
    setUpDrafts();
    setUpIdleTimeout();
    /* Set last: browser tests wait for it before touching the page. */
    document.documentElement.setAttribute("data-ready", "1");
  });
})();
