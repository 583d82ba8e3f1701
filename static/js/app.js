/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";

  /* Hard words: a tap opens the explanation in a dialog instead of jumping down the page. */
  function setUpGlossary() {
    var dialog = document.getElementById("term-dialog");
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    var title = document.getElementById("term-dialog-title");
    var text = document.getElementById("term-dialog-text");
    var opener = null;

    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a.term") : null;
      if (!link) { return; }
      var entry = document.getElementById("term-" + link.getAttribute("data-term"));
      if (!entry) { return; }
      event.preventDefault();
      title.textContent = entry.querySelector("dt").textContent;
      text.textContent = entry.querySelector("dd").textContent;
      opener = link;
      dialog.showModal();
    });
    dialog.addEventListener("close", function () {
      if (opener) { opener.focus(); }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) { dialog.close(); } /* a tap on the backdrop closes it */
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
