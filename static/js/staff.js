/* Staff keyboard shortcuts: one key, when not typing in a field. Each target carries
   data-shortcut="key"; buttons are pressed, fields are focused. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) {
      return;
    }
    var target = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
    if (!target) { return; }
    event.preventDefault();
    if (target.tagName.toLowerCase() === "button" || target.tagName.toLowerCase() === "a") {
      target.click();
    } else {
      target.focus();
    }
  });
})();

/* Times: the server writes "HH:MM UTC"; show them in the facilitator's own time zone. */
(function () {
  "use strict";
  var nodes = document.querySelectorAll("time[data-local-time], time[data-local-date]");
  for (var i = 0; i < nodes.length; i += 1) {
    var moment = new Date(nodes[i].getAttribute("datetime"));
    if (isNaN(moment.getTime())) { continue; }
    nodes[i].textContent = nodes[i].hasAttribute("data-local-date")
      ? moment.toLocaleDateString()
      : moment.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
})();

/* A form with data-confirm asks first (ending a classroom session cannot be undone). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();

/* Classroom live counts: poll the JSON endpoint, update the numbers in place, and tell
   screen-reader users about changes politely, at most once a minute. Numbers only. */
(function () {
  "use strict";
  var box = document.querySelector("[data-classroom-counts]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-classroom-counts");
  var every = parseInt(box.getAttribute("data-poll-seconds"), 10) * 1000;
  var announcer = box.querySelector("[data-counts-announcer]");
  var ANNOUNCE_EVERY = 60 * 1000;
  var lastAnnounced = 0;
  var pending = null;
  if (!every) { return; }

  function setCount(name, value) {
    var cell = box.querySelector('[data-count="' + name + '"]');
    if (!cell || cell.textContent === String(value)) { return false; }
    cell.textContent = String(value);
    return true;
  }

  function apply(data) {
    var changed = false;
    ["joined", "parts_opened", "reactions", "ideas"].forEach(function (name) {
      changed = setCount(name, data[name]) || changed;
    });
    (data.parts || []).forEach(function (part) {
      ["opened", "reactions", "ideas"].forEach(function (name) {
        changed = setCount("part:" + part.section_id + ":" + name, part[name]) || changed;
      });
    });
    if (changed) { pending = data.summary; }
    var now = Date.now();
    if (pending && announcer && now - lastAnnounced >= ANNOUNCE_EVERY) {
      announcer.textContent = pending;
      lastAnnounced = now;
      pending = null;
    }
    return data.open;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (apply(data)) {
          window.setTimeout(poll, every);
        } else {
          window.location.reload();  // the session closed: show its closed state
        }
      })
      .catch(function () { window.setTimeout(poll, every * 3); });  // signed out or offline
  }

  window.setTimeout(poll, every);
})();
