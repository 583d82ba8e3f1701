/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  /* Hard words: a tap opens the explanation in a dialog instead of jumping down the page.
     The dialog is built here because only scripted pages use it. */
  function buildDialog(closeLabel) {
    var dialog = document.createElement("dialog");
    dialog.className = "term-dialog";
    dialog.setAttribute("aria-labelledby", "term-dialog-title");
    var title = document.createElement("h2");
    title.id = "term-dialog-title";
    var text = document.createElement("p");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button";
    close.textContent = closeLabel;
    close.addEventListener("click", function () { dialog.close(); });
    var actions = document.createElement("div");
    actions.className = "term-dialog-actions";
    actions.appendChild(close);
    dialog.append(title, text, actions);
    document.body.appendChild(dialog);
    return {dialog: dialog, title: title, text: text, close: close};
  }

  function setUpGlossary() {
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
        ui = buildDialog(source.getAttribute("data-close-label"));
        ui.dialog.addEventListener("close", function () { if (opener) { opener.focus(); } });
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
      opener = link;
      ui.dialog.showModal();
      ui.close.focus();
    });
  }

  /* Listen: read the simple text aloud with the browser's own voice, in the page's language. */
  function setUpListen() {
    if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") {
      return;
    }
    var synth = window.speechSynthesis;
    document.querySelectorAll("[data-listen]").forEach(function (button) {
      var target = document.querySelector(button.getAttribute("data-listen"));
      var label = button.querySelector("[data-listen-label]");
      if (!target || !label) { return; }
      var listenText = label.textContent;
      var stopText = button.getAttribute("data-label-stop");
      var lang = document.documentElement.lang;

      function reset() {
        button.setAttribute("aria-pressed", "false");
        label.textContent = listenText;
      }
      button.hidden = false;
      reset();
      button.addEventListener("click", function () {
        if (synth.speaking) { synth.cancel(); reset(); return; }
        var heading = document.getElementById("part-title");
        var words = (heading ? heading.textContent + ". " : "") + target.innerText;
        var utterance = new window.SpeechSynthesisUtterance(words);
        utterance.lang = lang;
        utterance.rate = 0.9;
        var voice = synth.getVoices().filter(function (v) {
          return v.lang && v.lang.toLowerCase().indexOf(lang) === 0;
        })[0];
        if (voice) { utterance.voice = voice; }
        utterance.onend = reset;
        utterance.onerror = reset;
        button.setAttribute("aria-pressed", "true");
        label.textContent = stopText;
        synth.speak(utterance);
      });
      window.addEventListener("pagehide", function () { synth.cancel(); });
    });
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
    setUpGlossary();
    setUpListen();
    setUpDrafts();
    setUpIdleTimeout();
  });
})();
