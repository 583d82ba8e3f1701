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
