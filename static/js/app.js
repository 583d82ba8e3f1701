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

  document.addEventListener("DOMContentLoaded", function () {
    setUpGlossary();
    setUpListen();
  });
})();
