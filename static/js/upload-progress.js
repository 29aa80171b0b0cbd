/* Records upload with a progress bar: the form is sent by XMLHttpRequest so the browser can
 * report how much of a large file went up. Without JavaScript the form posts as usual.
 * A redirect (the receipt) is followed; a page with errors replaces the main content.
 */
(function () {
  "use strict";

  var form = document.querySelector('form[data-upload-progress="on"]');
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var progress = document.getElementById("upload-progress");
    var data = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (progress && e.lengthComputable) {
        progress.value = Math.round((e.loaded * 100) / e.total);
      }
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
      } else {
        window.location.reload();
      }
    });
    xhr.addEventListener("error", function () {
      form.submit();
    });
    if (progress) {
      progress.classList.remove("d-none");
    }
    xhr.send(data);
  });
})();
