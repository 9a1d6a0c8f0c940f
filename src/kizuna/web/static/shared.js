// Kizuna shared mode: send the upload form with fetch and follow its import job with a progress bar.
// No inline scripts (the content security policy allows only this server's files).
"use strict";

(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.fetch || !window.FormData) return;
  var box = document.getElementById("upload-status");
  var bar = document.getElementById("upload-progress");
  var text = document.getElementById("upload-message");

  function say(message) {
    text.textContent = message;
  }

  function errorText(body) {
    var e = (body && body.error) || {};
    return [e.message, e.hint].filter(Boolean).join(" — ");
  }

  function follow(url) {
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json();
    }).then(function (job) {
      bar.value = job.progress || 0;
      if (job.status === "done") {
        bar.value = 1;
        say(text.dataset.done + (job.message ? " " + job.message : ""));
        document.body.dataset.job = "done";
      } else if (job.status === "failed") {
        var err = job.error || {};
        say(text.dataset.failed + " " + [err.message, err.hint].filter(Boolean).join(" — "));
        document.body.dataset.job = "failed";
      } else {
        if (job.message) say(job.message);
        window.setTimeout(function () { follow(url); }, 700);
      }
    }).catch(function () {
      window.setTimeout(function () { follow(url); }, 2000);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    box.hidden = false;
    bar.value = 0;
    document.body.dataset.job = "sending";
    var data = new FormData(form);
    fetch("/api/v1/imports", {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": data.get("csrf_token") }
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      if (res.status >= 400) {
        say(text.dataset.failed + " " + errorText(res.body));
        document.body.dataset.job = "failed";
        return;
      }
      if (!res.body.created) {
        bar.value = 1;
        say(text.dataset.same);
        document.body.dataset.job = "done";
        return;
      }
      say(text.dataset.sent);
      follow(res.body.status_url);
    });
  });
})();
