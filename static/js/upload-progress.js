/* Upload with a progress bar: a form marked data-upload-progress="on" is sent by XMLHttpRequest
 * so the browser can report how much of a large file went up. Without JavaScript the form posts
 * as usual. A redirect (the receipt) is followed; a page with errors replaces the main content.
 *
 * The bar is the form's <progress> (id="upload-progress", or any [data-upload-progress-bar]);
 * its percentage is also written as text beside it (created when the page has none), in a
 * polite live region, so it is read out and visible without the bar. The form's buttons are
 * disabled while it is on its way: this script stops the normal submit, so submit-once.js
 * (which leaves a stopped submit alone) does not do it here.
 */
(function () {
  "use strict";

  if (!window.FormData || !window.XMLHttpRequest) {
    return;
  }

  function barOf(form) {
    return form.querySelector("[data-upload-progress-bar]") || form.querySelector("progress#upload-progress")
      || document.getElementById("upload-progress");
  }

  function textOf(form, bar) {
    var text = form.querySelector("[data-upload-progress-text]");
    if (text || !bar) return text;
    text = document.createElement("span");
    text.setAttribute("data-upload-progress-text", "");
    text.setAttribute("aria-live", "polite");
    text.className = "d-block small mb-2";
    bar.insertAdjacentElement("afterend", text);
    return text;
  }

  function show(bar, text, percent, words) {
    if (bar) {
      bar.value = percent;
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-valuetext", words);
    }
    if (text) text.textContent = words;
  }

  function buttonsOf(form) {
    return Array.prototype.slice.call(
      form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]')
    );
  }

  function send(form, event) {
    event.preventDefault();
    if (form.hasAttribute("data-uploading")) return; // a second click while the first is on its way
    form.setAttribute("data-uploading", "");
    var bar = barOf(form);
    var text = textOf(form, bar);
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var buttons = buttonsOf(form);
    buttons.forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
    function giveBack() {
      form.removeAttribute("data-uploading");
      buttons.forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((e.loaded * 100) / e.total);
      show(bar, text, percent, percent < 100 ? "Uploading: " + percent + "%" : "Uploaded 100%; checking the files…");
    });
    xhr.addEventListener("load", function () {
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL);
        return;
      }
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var main = page.querySelector("main");
      if (main) {
        document.querySelector("main").replaceWith(main);
        bind(); // the new content's forms
      } else {
        window.location.reload();
      }
    });
    xhr.addEventListener("error", function () {
      giveBack();
      form.submit();
    });
    if (bar) {
      bar.classList.remove("d-none");
      bar.hidden = false;
    }
    show(bar, text, 0, "Uploading: 0%");
    xhr.send(data);
  }

  function bind() {
    document.querySelectorAll('form[data-upload-progress="on"]').forEach(function (form) {
      if (form.hasAttribute("data-upload-progress-bound")) return;
      form.setAttribute("data-upload-progress-bound", "");
      form.addEventListener("submit", function (event) {
        send(form, event);
      });
    });
  }

  bind();
})();
