// Kizuna dashboard: draw the Vega-Lite charts and maps whose specs the page carries in <script type="application/json"> blocks.
// Filters are applied with their Apply button only (no submit on change: arrow keys must move
// through a list without reloading the page). No inline scripts (the content security policy forbids them) and no network beyond this server.
"use strict";

(function () {
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
      // tooltip: vega-tooltip's handler without its injected <style> (the CSP allows no inline style);
      // style.css styles #vg-tooltip-element. Values arrive preformatted in the page's language.
      var options = {
        actions: false,
        renderer: "svg",
        ast: true,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true, theme: "kizuna", anchor: "cursor" }
      };
      pending.push(
        window.vegaEmbed(el, spec, options).then(function (result) {
          // Vega names its parts with English role descriptions ("visualization", "group mark
          // container"); the container's role="img" and aria-label already say what it is, in the page's language.
          el.removeAttribute("aria-roledescription");
          el.querySelectorAll("[aria-roledescription]").forEach(function (n) {
            n.removeAttribute("aria-roledescription");
          });
          el.dataset.drawn = "true";
          el.dataset.marks = String(countMarks(el));
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

  // Data marks drawn (points, bars, cells; legends excluded), so tests and people can tell what it shows.
  function countMarks(el) {
    return el.querySelectorAll("g.role-mark.mark-symbol path, g.role-mark.mark-rect path").length;
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
  });
})();
