/*
 * Make the chapter-list (☰) and "on this page" buttons work at every width.
 *
 * With sphinx-book-theme 1.3 and pydata-sphinx-theme 0.17 the themes bind their click
 * handlers to the first `.primary-toggle` / `.secondary-toggle` in the page, a copy in the
 * header that the book theme hides; the visible buttons do nothing (pydata-sphinx-theme
 * #2451, sphinx-book-theme #988). This forwards a click on a visible button to the hidden
 * copy that holds the handlers: below 992 px it opens the sidebar as a dialog, above it
 * collapses or restores the chapter list.
 */
(function () {
  "use strict";
  function forward(kind) {
    var toggles = Array.prototype.slice.call(document.querySelectorAll("button." + kind));
    var target = toggles[0];  // the copy the themes bound their handlers to
    if (!target) return;
    toggles.slice(1).forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        button.blur();
        target.click();
      });
    });
  }
  function init() {
    forward("primary-toggle");
    forward("secondary-toggle");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
