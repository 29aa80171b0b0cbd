/* Status rows polled by htmx (docs/progress.md): what a poll does when the answer is not a row.
 *
 * - The session ended (idle log-off): the answer is the log-in page, reached by a redirect. It
 *   is not swapped into the row; the whole page goes to the log-in page.
 * - A refusal or a server error (htmx does not swap those): the row stops asking and says so,
 *   with a Refresh link to the row's own page.
 */
(function () {
  "use strict";

  var LOGIN_PATH = "/accounts/login/";

  function polled(elt) {
    return elt && elt.getAttribute && elt.hasAttribute("hx-get") && elt.hasAttribute("hx-trigger");
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!polled(event.detail.elt) || !xhr || !xhr.responseURL) return;
    if (new URL(xhr.responseURL).pathname === LOGIN_PATH) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    if (!polled(elt)) return;
    var stopped = document.createElement("div");
    stopped.id = elt.id;
    stopped.className = "alert alert-warning mb-3";
    stopped.textContent = "The status could not be checked (" + event.detail.xhr.status + "). ";
    var refresh = document.createElement("a");
    refresh.href = elt.getAttribute("hx-get").split("?")[0];
    refresh.textContent = "Refresh";
    stopped.appendChild(refresh);
    elt.replaceWith(stopped); // a row out of the page is asked no more
  });
})();
