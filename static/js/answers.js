/* Answers editor: the reading ease of each language's text, live while the organiser writes.
   Progressive enhancement: without this script the saved score shows after saving. The text
   is scored by the server (the plan's own formula), which stores nothing; calls are debounced
   and a late answer never overwrites a newer one. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-reading-ease-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-reading-ease-url");
  var tokenField = form.querySelector("input[name='csrf_token']");
  var token = tokenField ? tokenField.value : "";
  var WAIT = 500;

  function watch(output) {
    var locale = output.getAttribute("data-ease-for");
    var body = form.querySelector("textarea[name='body_" + locale + "']");
    var reason = form.querySelector("textarea[name='reason_" + locale + "']");
    var timer = null;
    var asked = 0;

    function text() {
      return [body ? body.value : "", reason ? reason.value : ""]
        .filter(function (part) { return part.trim() !== ""; }).join("\n\n");
    }

    function show(data) {
      output.textContent = data.message;
      output.classList.toggle("is-below", !!data.below);
      output.classList.toggle("is-empty", data.score === null);
    }

    function ask() {
      var mine = ++asked;
      var data = new FormData();
      data.append("locale", locale);
      data.append("text", text());
      fetch(url, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": token, "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (data && mine === asked) { show(data); }
      }).catch(function () { /* offline: the score shows after saving */ });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT);
    }

    [body, reason].forEach(function (field) {
      if (field) { field.addEventListener("input", later); }
    });
  }

  var outputs = form.querySelectorAll("[data-ease-for]");
  for (var i = 0; i < outputs.length; i += 1) { watch(outputs[i]); }
  form.setAttribute("data-ease-live", "1");
})();
