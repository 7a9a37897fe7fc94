// Keep a delivery report's counts and progress line up to date while the release is being sent.
// Without this script the page still works: it has a Refresh link.
document.addEventListener("DOMContentLoaded", function () {
  var line = document.querySelector("[data-progress-url]");
  if (!line || !window.fetch) {
    return;
  }
  var url = line.getAttribute("data-progress-url");
  var every = 2000;
  var done = {finished: "Finished", cancelled: "Cancelled", missed: "Not sent"};

  function number(n) {
    return Number(n).toLocaleString("en-GB");
  }

  function setText(element, text) {
    // Only real changes, so a screen reader is not told the same thing every two seconds.
    if (element.textContent !== text) {
      element.textContent = text;
    }
  }

  function show(progress) {
    var cells = document.querySelectorAll("[data-count]");
    for (var i = 0; i < cells.length; i++) {
      var name = cells[i].getAttribute("data-count");
      var value = name === "total" ? progress.total : progress.counts[name];
      if (value !== undefined) {
        setText(cells[i], number(value));
      }
    }
    var bounced = progress.counts.bounced || 0;
    var sent = number((progress.counts.sent || 0) + bounced) + " of " + number(progress.total) + " sent" +
      (bounced ? " (" + number(bounced) + " then bounced)" : "");
    if (done[progress.state]) {
      setText(line, done[progress.state] + ": " + sent + ". Refresh the page for the full report.");
    } else if (progress.state === "sending") {
      setText(line, sent + ".");
    }
  }

  function poll() {
    if (document.hidden) {
      window.setTimeout(poll, every);
      return;
    }
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("progress " + response.status);
        }
        return response.json();
      })
      .then(function (progress) {
        show(progress);
        if (!done[progress.state]) {
          window.setTimeout(poll, every);
        }
      })
      .catch(function () {
        // The server or network is having a moment: ask again, less often.
        window.setTimeout(poll, every * 5);
      });
  }

  window.setTimeout(poll, every);
});
