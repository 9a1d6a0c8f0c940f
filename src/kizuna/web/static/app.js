// Kizuna dashboard: submit the filter form when a control changes, and draw the Vega-Lite
// charts and maps whose specs the page carries in <script type="application/json"> blocks.
// No inline scripts (the content security policy forbids them) and no network beyond this server.
"use strict";

(function () {
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () {
        if (el.form) {
          document.body.setAttribute("aria-busy", "true");
          el.form.requestSubmit();
        }
      });
    });
  }

  function draw() {
    var targets = document.querySelectorAll(".vega[data-spec]");
    if (!targets.length) {
      document.body.dataset.charts = "ready";
      return;
    }
    if (typeof window.vegaEmbed !== "function") {
      document.body.dataset.charts = "unavailable";
      return;
    }
    var pending = [];
    targets.forEach(function (el) {
      var source = document.getElementById(el.dataset.spec);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      // ast: evaluate expressions with the interpreter: no eval, so no 'unsafe-eval' in the CSP.
      var options = { actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: false };
      pending.push(
        window.vegaEmbed(el, spec, options).then(function (result) {
          el.dataset.drawn = "true";
          el.dataset.marks = String(countMarks(result.view));
        })
      );
    });
    Promise.all(pending).then(
      function () { document.body.dataset.charts = "ready"; },
      function (err) {
        document.body.dataset.charts = "failed";
        console.error("chart failed: " + err);
      }
    );
  }

  // Points drawn on a map (its last layer), so tests and screen readers can tell what it shows.
  function countMarks(view) {
    try {
      var data = view.getState({ data: function () { return true; }, signals: function () { return false; } }).data;
      var best = 0;
      Object.keys(data || {}).forEach(function (k) {
        if (/^data_\d+$/.test(k) && Array.isArray(data[k])) best = Math.max(best, data[k].length);
      });
      return best;
    } catch (e) {
      return -1;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    autosubmit();
    draw();
  });
})();
