/* Uploads with a progress bar, and (where the form has a [data-drop-zone]) drag and drop.
 *
 * A form with data-upload-progress="on" is sent by XMLHttpRequest so the browser can report
 * how much of a large file went up (the form's <progress data-upload-bar>, or #upload-progress).
 * A redirect is followed (the portal's receipt); for a form with data-done-hash (the case page)
 * the page redirected to replaces the main content, so its message shows, at that anchor; a
 * page with errors replaces the main content. Files dropped on a drop zone join the files of its file input; the chosen files are
 * listed with their sizes, and one larger than data-max-file-bytes (or together larger than
 * data-max-request-bytes) is named before anything is sent. The server checks every file again.
 * Without JavaScript the form posts as usual, and a multiple-file input takes several files.
 * Listeners sit on the document, so a form drawn again (a page with errors) works the same.
 *
 * The bar's percentage is also written as text beside it ([data-upload-progress-text], created
 * when the page has none) in a polite live region, so it is read out and visible without the
 * bar. The form's buttons are disabled while it is on its way (this script stops the normal
 * submit, so submit-once.js, which leaves a stopped submit alone, does not do it here).
 */
(function () {
  "use strict";

  var FORMS = 'form[data-upload-progress="on"]';
  if (!document.querySelector(FORMS) || !window.FormData || !window.XMLHttpRequest) {
    return;
  }

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function fileInputs(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[type="file"]'));
  }

  function chosenFiles(form) {
    var files = [];
    fileInputs(form).forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        files.push(file);
      });
    });
    return files;
  }

  /* Why the chosen files cannot go (too large), or "". */
  function sizeProblem(form) {
    var files = chosenFiles(form);
    var maxFile = parseInt(form.getAttribute("data-max-file-bytes") || "0", 10);
    var maxRequest = parseInt(form.getAttribute("data-max-request-bytes") || "0", 10);
    var total = 0;
    var tooLarge = [];
    files.forEach(function (file) {
      total += file.size;
      if (maxFile && file.size > maxFile) {
        tooLarge.push(file.name + " (" + megabytes(file.size) + ")");
      }
    });
    if (tooLarge.length) {
      return "Too large (at most " + megabytes(maxFile) + " each): " + tooLarge.join(", ") +
        ". Split it into smaller PDFs.";
    }
    if (maxRequest && total > maxRequest) {
      return "Together the files are " + megabytes(total) + "; send at most " + megabytes(maxRequest) +
        " at a time (upload them in two goes).";
    }
    return "";
  }

  function showFiles(form) {
    var list = form.querySelector("[data-file-list]");
    var warning = form.querySelector("[data-upload-warning]");
    if (list) {
      list.textContent = "";
      chosenFiles(form).forEach(function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " — " + megabytes(file.size);
        list.appendChild(item);
      });
    }
    if (warning) {
      var problem = sizeProblem(form);
      warning.textContent = problem;
      warning.classList.toggle("d-none", !problem);
    }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest(FORMS);
    if (form && event.target.type === "file") {
      showFiles(form);
    }
  });

  // Drag and drop: a file dropped on a zone joins its input; dropped elsewhere, nothing opens it.
  function zoneOf(event) {
    return event.target.closest ? event.target.closest("[data-drop-zone]") : null;
  }

  function carriesFiles(event) {
    var types = event.dataTransfer ? event.dataTransfer.types : [];
    return Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      var zone = zoneOf(event);
      event.dataTransfer.dropEffect = zone ? "copy" : "none";
      if (zone) zone.classList.add("drop-zone-active");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("drop-zone-active");
  });
  document.addEventListener("drop", function (event) {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    var zone = zoneOf(event);
    if (!zone) return;
    zone.classList.remove("drop-zone-active");
    var input = zone.querySelector('input[type="file"]');
    if (!input || !window.DataTransfer) return;
    var combined = new DataTransfer();
    if (input.multiple) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        combined.items.add(file);
      });
    }
    Array.prototype.forEach.call(event.dataTransfer.files, function (file, index) {
      if (input.multiple || index === 0) combined.items.add(file);
    });
    input.files = combined.files;
    var form = zone.closest("form");
    if (form) showFiles(form);
  });

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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(FORMS)) return;
    event.preventDefault();
    var problem = sizeProblem(form);
    if (problem) {
      showFiles(form);
      var buttons = form.querySelectorAll("button[type=submit]");
      Array.prototype.forEach.call(buttons, function (button) {
        button.disabled = false;
      });
      return;
    }
    if (form.hasAttribute("data-uploading")) return; // a second click while the first is on its way
    form.setAttribute("data-uploading", "");
    var progress = form.querySelector("[data-upload-bar]") || document.getElementById("upload-progress");
    var text = textOf(form, progress);
    var action = form.action || window.location.href;
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
    xhr.open("POST", action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((e.loaded * 100) / e.total);
      show(progress, text, percent, percent < 100 ? "Uploading: " + percent + "%" : "Uploaded 100%; checking the files…");
    });
    xhr.addEventListener("load", function () {
      var redirected = xhr.status < 400 && xhr.responseURL && xhr.responseURL !== action;
      var hash = form.getAttribute("data-done-hash");
      if (redirected && !hash) {
        // Done: go to the page the server sent us to (the portal's receipt).
        window.location.assign(xhr.responseURL);
        return;
      }
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var main = page.querySelector("main");
      if (!main) {
        window.location.assign(redirected ? xhr.responseURL : window.location.href);
        return;
      }
      // The page the server answered with (done: the page it sent us to, with the message the
      // request already took; refused: the form with its errors) replaces the main content, and
      // the address becomes its own, so a reload shows it again.
      document.querySelector("main").replaceWith(main);
      document.title = page.title || document.title;
      var url = xhr.responseURL || window.location.href;
      if (redirected && hash) url = url.split("#")[0] + "#" + hash;
      if (url !== window.location.href) history.replaceState(null, "", url);
      var target = redirected && hash ? document.getElementById(hash) : document.querySelector('main [role="alert"]');
      if (target) {
        if (!redirected) target.setAttribute("tabindex", "-1");
        target.scrollIntoView();
        if (!redirected) target.focus();
      }
    });
    xhr.addEventListener("error", function () {
      giveBack();
      form.submit();
    });
    if (progress) {
      progress.classList.remove("d-none");
      progress.hidden = false;
    }
    show(progress, text, 0, "Uploading: 0%");
    xhr.send(data);
  });
})();
