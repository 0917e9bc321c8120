// The KPI explorer's chart: an ECharts bar (one per row, largest first) or line (one per
// subject over the periods) drawn from the page's JSON block (#explore-data), since the CSP
// runs no inline script. The table below the chart says the same, and each of its values
// opens the records behind it.
(function () {
  "use strict";
  var chart = null;
  function draw() {
    var box = document.getElementById("explore-chart");
    var data = document.getElementById("explore-data");
    if (!box || !data || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(data.textContent);
    var bar = spec.type === "bar";
    var many = spec.series.length > 1;
    if (bar) {
      // One band per row: long names read across, and a phone keeps its width.
      box.style.height = Math.max(220, 34 * spec.categories.length * spec.series.length + 60) + "px";
    }
    if (chart) { chart.dispose(); }
    chart = echarts.init(box, null, { renderer: "canvas" });
    var texts = function (seriesIndex, dataIndex) {
      var s = spec.series[seriesIndex];
      return s && s.texts ? s.texts[dataIndex] : "";
    };
    var narrow = box.clientWidth < 480;
    var category = {
      type: "category", data: spec.categories, inverse: bar,
      axisLabel: { width: narrow ? 110 : 200, overflow: "truncate", hideOverlap: true }
    };
    var value = { type: "value", axisLabel: { hideOverlap: true } };
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 24, top: many ? 40 : 16, bottom: 8, containLabel: true },
      legend: many ? { type: "scroll", top: 0 } : undefined,
      tooltip: {
        trigger: bar ? "item" : "axis", confine: true, triggerOn: "mousemove|click",
        formatter: function (items) {
          var list = Array.isArray(items) ? items : [items];
          if (!list.length) { return ""; }
          var head = echarts.format.encodeHTML(String(list[0].name));
          return head + list.map(function (p) {
            return "<br>" + p.marker + echarts.format.encodeHTML(p.seriesName) + ": " +
              echarts.format.encodeHTML(texts(p.seriesIndex, p.dataIndex));
          }).join("");
        }
      },
      xAxis: bar ? value : category,
      yAxis: bar ? category : value,
      series: spec.series.map(function (s) {
        return bar ? { name: s.name, type: "bar", data: s.data, barMaxWidth: 26 }
                   : { name: s.name, type: "line", data: s.data, symbolSize: 7,
                       connectNulls: false };
      })
    });
  }
  function start() {
    draw();
    window.addEventListener("resize", function () { if (chart) { chart.resize(); } });
    window.addEventListener("pagehide", function () {
      if (chart) { chart.dispose(); chart = null; }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
