/* The dashboard's charts, drawn with Chart.js from the tables beside them.
 *
 * Each `table[data-chart]` is the chart's data and stays on the page: the numbers a screen reader
 * reads, and what shows without JavaScript. A header cell with `data-series="bar"` or "line" is
 * one series (its `data-axis="percent"` puts it on a 0-100 axis on the right); the first cell of
 * each body row is the label and `td[data-value]` the number. The canvas is marked as an image
 * whose label points to the table.
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") {
    return;
  }
  var COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#dc3545", "#6f42c1", "#20c997", "#6c757d"];

  function number(cell) {
    var text = cell ? cell.getAttribute("data-value") : "";
    return text === null || text === "" ? null : Number(text);
  }

  function draw(table, index) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var labels = rows.map(function (row) { return row.cells[0].textContent.trim(); });
    var percentAxis = false;
    var datasets = [];
    headers.forEach(function (header, column) {
      var kind = header.getAttribute("data-series");
      if (!kind) {
        return;
      }
      var colour = COLOURS[datasets.length % COLOURS.length];
      var onPercent = header.getAttribute("data-axis") === "percent";
      percentAxis = percentAxis || onPercent;
      datasets.push({
        type: kind,
        label: header.textContent.trim(),
        data: rows.map(function (row) { return number(row.cells[column]); }),
        backgroundColor: colour,
        borderColor: colour,
        yAxisID: onPercent ? "percent" : "y",
        spanGaps: true
      });
    });
    var stacked = table.getAttribute("data-stacked") === "true";
    var scales = {
      x: { stacked: stacked },
      y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
    };
    if (percentAxis) {
      scales.percent = { position: "right", beginAtZero: true, suggestedMax: 20, grid: { drawOnChartArea: false },
        title: { display: true, text: "%" } };
    }
    var holder = document.createElement("div");
    holder.className = "dashboard-chart mb-2";
    var canvas = document.createElement("canvas");
    var caption = table.caption ? table.caption.textContent.trim() : "Chart";
    if (!table.id) {
      table.id = "chart-table-" + index;
    }
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", caption + " The table below gives the numbers.");
    canvas.setAttribute("aria-describedby", table.id);
    holder.appendChild(canvas);
    var wrapper = table.closest(".table-responsive") || table;
    wrapper.parentNode.insertBefore(holder, wrapper);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: scales,
        plugins: { legend: { display: datasets.length > 1 } }
      }
    });
    table.setAttribute("data-chart-drawn", "true");
  }

  document.querySelectorAll("table[data-chart]").forEach(draw);
})();
