/* Buttons disable themselves after the first click, so a double click sends a form once.
 *
 * Disabled buttons are not posted, so the clicked button's name and value go along in a
 * hidden input (the review form's "action" tells save, preview and submit apart). Going
 * Back to a page kept in the browser's cache gives the buttons back; the server's one-time
 * form token (kept on the way Back, see below) then answers a second submit with what the
 * first one created.
 * A form opts out with data-submit-once="off" (e.g. one whose answer is a download).
 */
(function () {
  "use strict";

  // Loaded twice (a page and a block it extends), the second copy would refuse every submit.
  if (window.submitOnceLoaded) return;
  window.submitOnceLoaded = true;

  var ADDED = "data-submit-once-added";
  var DISABLED = "data-submit-once-disabled";
  var TOKEN = 'input[name="form_token"]';

  /* The one-time token a submit sent is kept in this history entry's state. Coming Back to the
   * page, the browser fills the form in again but may fetch the page anew, with a new token:
   * the sent one is put back, so "submit" again is answered with what the first submit
   * created instead of creating it twice. A fresh visit (not Back) keeps its new token. */
  function rememberTokens(form) {
    var all = Array.prototype.slice.call(document.querySelectorAll(TOKEN));
    var state = Object.assign({}, history.state);
    state.submitOnceTokens = Object.assign({}, state.submitOnceTokens);
    form.querySelectorAll(TOKEN).forEach(function (input) {
      state.submitOnceTokens[all.indexOf(input)] = input.value;
    });
    try {
      history.replaceState(state, "");
    } catch (e) {
      // Blocked or too large: Back then gives a new token, as without this script.
    }
  }

  function restoreTokens() {
    var nav = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation")[0]
      : null;
    var kept = history.state && history.state.submitOnceTokens;
    if (!nav || nav.type !== "back_forward" || !kept) return;
    var all = document.querySelectorAll(TOKEN);
    Object.keys(kept).forEach(function (index) {
      if (all[index]) all[index].value = kept[index];
    });
  }

  function buttonsOf(form) {
    var inside = Array.prototype.slice.call(
      form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"], input[type="image"]')
    );
    if (form.id) {
      var outside = document.querySelectorAll(
        'button[form="' + form.id + '"], input[type="submit"][form="' + form.id + '"]'
      );
      inside = inside.concat(Array.prototype.slice.call(outside));
    }
    return inside;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (form.getAttribute("data-submit-once") === "off") return;
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault(); // a second submit (Enter, a script) while the first is on its way
      return;
    }
    form.setAttribute("data-submitting", "");
    rememberTokens(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      carried.setAttribute(ADDED, "");
      form.appendChild(carried);
    }
    buttonsOf(form).forEach(function (button) {
      if (!button.disabled) {
        button.disabled = true;
        button.setAttribute(DISABLED, "");
        button.setAttribute("aria-busy", "true");
      }
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restoreTokens);
  } else {
    restoreTokens();
  }

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.querySelectorAll("[" + ADDED + "]").forEach(function (input) { input.remove(); });
    });
    document.querySelectorAll("[" + DISABLED + "]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute(DISABLED);
      button.removeAttribute("aria-busy");
    });
  });
})();
