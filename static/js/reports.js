// Dashboard: the 12-month chart, sortable figure tables, and the copy button for the directive text.
(function () {
  "use strict";

  function drawTrend() {
    var canvas = document.getElementById("trend-chart");
    var source = document.getElementById("trend-data");
    if (!canvas || !source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: "Tiếp nhận", data: data.received, backgroundColor: "#8fb3d9", yAxisID: "count" },
          { type: "bar", label: "Đã giải quyết", data: data.resolved, backgroundColor: "#2f6aa3", yAxisID: "count" },
          { type: "line", label: "Tỷ lệ đúng hạn (%)", data: data.on_time_rate, borderColor: "#1d7a3e", yAxisID: "rate", tension: 0.2 },
          { type: "line", label: "Tỷ lệ trực tuyến (%)", data: data.online_rate, borderColor: "#c77700", yAxisID: "rate", tension: 0.2 }
        ]
      },
      options: {
        animation: false,
        responsive: true,
        locale: "vi-VN",
        scales: {
          count: { position: "left", beginAtZero: true, title: { display: true, text: "Hồ sơ" } },
          rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "%" } }
        }
      }
    });
  }

  function sortable(table) {
    table.querySelectorAll("thead th[data-sort]").forEach(function (header) {
      header.tabIndex = 0;
      header.title = "Bấm để sắp xếp";
      function sort() {
        var body = table.tBodies[0];
        var leafs = table.querySelectorAll("thead th[data-sort]");
        var index = parseInt(header.dataset.col, 10);
        var ascending = header.dataset.order !== "asc";
        leafs.forEach(function (h) { delete h.dataset.order; });
        header.dataset.order = ascending ? "asc" : "desc";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index], y = b.cells[index];
          var left = header.dataset.sort === "number" ? parseFloat(x.dataset.value) : x.textContent.trim();
          var right = header.dataset.sort === "number" ? parseFloat(y.dataset.value) : y.textContent.trim();
          var result = typeof left === "number" ? left - right : left.localeCompare(right, "vi");
          return ascending ? result : -result;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      header.addEventListener("click", sort);
      header.addEventListener("keydown", function (event) { if (event.key === "Enter") sort(); });
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.querySelector(button.dataset.copy);
        var text = Array.prototype.map.call(source.querySelectorAll("p"), function (p) { return p.textContent; }).join("\n\n");
        navigator.clipboard.writeText(text).then(function () { button.textContent = "Đã sao chép"; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawTrend();
    document.querySelectorAll("table.sortable").forEach(sortable);
    copyButtons();
  });
})();
