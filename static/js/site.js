// Move keyboard and screen-reader focus to the error summary when a form comes back with errors.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-focus]");
  if (summary) {
    summary.focus();
  }

  // Following an error summary's link puts focus in the field and scrolls its question into view: the
  // browser on its own would put the box at the very top of the window, its label and message above it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (!link) {
      return;
    }
    var input = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!input || typeof input.focus !== "function") {
      return;
    }
    // The whole question: its label or legend, hint and message, and for a date and time both boxes.
    var question = input.closest(".field") || input;
    event.preventDefault();
    question.scrollIntoView({block: "start"});
    input.focus({preventScroll: true});
  });
});
