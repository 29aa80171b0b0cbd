/* Idle logoff (issue 13): a minute before the server ends an idle session, a warning offers
 * "Stay logged in" (a POST to the keep-alive URL); when the time is up the page reloads and the
 * server, seeing the session idle, logs it off and shows the log-in page.
 * The server renders the seconds left on <body data-idle-seconds-left>; nothing inline.
 */
(function () {
  "use strict";
  var body = document.body;
  if (!body.dataset.idleSecondsLeft) return;
  var warning = document.getElementById("idle-warning");
  var secondsEl = document.getElementById("idle-warning-seconds");
  var stay = document.getElementById("idle-stay");
  var warnBefore = parseInt(body.dataset.idleWarning, 10) || 60;
  var deadline = 0;
  var ticker = null;

  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      window.clearInterval(ticker);
      window.location.reload();
      return;
    }
    if (left <= warnBefore) {
      secondsEl.textContent = String(left);
      warning.classList.remove("d-none");
    } else {
      warning.classList.add("d-none");
    }
  }

  function start(secondsLeft) {
    deadline = Date.now() + secondsLeft * 1000;
    if (ticker) window.clearInterval(ticker);
    ticker = window.setInterval(tick, 1000);
    tick();
  }

  stay.addEventListener("click", function () {
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { start(data.seconds_left); })
      .catch(function () { window.location.reload(); });
  });

  start(parseInt(body.dataset.idleSecondsLeft, 10));
})();
