// The score trend on Home / My scorecard: an ECharts line drawn from the page's JSON block
// (#trend-data), since the CSP runs no inline script. The table beside it says the same.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("trend-chart");
    var data = document.getElementById("trend-data");
    if (!box || !data || typeof echarts === "undefined") { return; }
    var trend = JSON.parse(data.textContent);
    var chart = echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", confine: true, triggerOn: "mousemove|click" },
      xAxis: { type: "category", data: trend.periods, boundaryGap: true },
      yAxis: { type: "value", min: 0 },
      series: [{ name: trend.name, type: "line", data: trend.scores, symbolSize: 8,
                 connectNulls: true, itemStyle: { color: "#1f6feb" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
