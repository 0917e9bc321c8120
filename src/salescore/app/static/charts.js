// The dashboards' charts: every element with data-chart="KIND" and data-source="ID" is drawn
// with ECharts from the JSON block #ID (the CSP runs no inline script, so the figures travel as
// data). A table beside each chart says the same. Charts follow the page's theme (light, dark
// or the system's), are resized with the window, and are disposed before htmx swaps the panel
// they are in, so that swapping panels never leaves charts behind (window.salescoreCharts
// counts the live ones).
(function () {
  "use strict";
  var live = new Set();
  window.salescoreCharts = live;

  function dark() {
    var theme = document.documentElement.getAttribute("data-theme");
    if (theme === "dark") { return true; }
    if (theme === "light") { return false; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  var palette = ["#1f6feb", "#e8590c", "#2f9e44", "#9c36b5", "#f08c00", "#0c8599",
                 "#c2255c", "#5c7cfa"];
  var tooltip = { confine: true, triggerOn: "mousemove|click" };

  function base() {
    return { animation: false, color: palette, backgroundColor: "transparent",
             tooltip: Object.assign({ trigger: "axis" }, tooltip),
             grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true } };
  }

  var kinds = {
    // {periods, scores, name} or {periods, series: [{name, data}]}
    trend: function (d) {
      var series = d.series || [{ name: d.name, data: d.scores }];
      return Object.assign(base(), {
        legend: series.length > 1 ? { top: 0, type: "scroll" } : undefined,
        xAxis: { type: "category", data: d.periods },
        yAxis: { type: "value", min: 0 },
        series: series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, symbolSize: 7,
                   connectNulls: true };
        })
      });
    },
    // {reps, kpis, cells: [[x, y, percent]], name}
    heatmap: function (d) {
      var o = base();
      o.tooltip = Object.assign({ trigger: "item", formatter: function (p) {
        return d.reps[p.value[1]] + " · " + d.kpis[p.value[0]] + ": " +
          (p.value[2] === null ? "—" : p.value[2] + "%");
      } }, tooltip);
      o.grid = { left: 8, right: 8, top: 8, bottom: 56, containLabel: true };
      o.xAxis = { type: "category", data: d.kpis, axisLabel: { interval: 0, rotate: 30 } };
      o.yAxis = { type: "category", data: d.reps, inverse: true };
      o.visualMap = { min: 50, max: 120, calculable: false, orient: "horizontal",
                      left: "center", bottom: 0, itemHeight: 120,
                      inRange: { color: ["#d73027", "#fee08b", "#1a9850"] } };
      o.series = [{ name: d.name, type: "heatmap", data: d.cells,
                    label: { show: d.reps.length * d.kpis.length <= 80, fontSize: 10,
                             formatter: function (p) {
                               return p.value[2] === null ? "" : Math.round(p.value[2]);
                             } } }];
      return o;
    },
    // {rows, cols, cells: [[x, y, count]], name, xname, yname, labels}: counts from row to
    // column; labels false leaves the numbers out of the cells (too many for a phone)
    matrix: function (d) {
      var o = base();
      var top = Math.max.apply(null, d.cells.map(function (c) { return c[2]; }).concat([1]));
      o.tooltip = Object.assign({ trigger: "item", formatter: function (p) {
        return d.rows[p.value[1]] + " → " + d.cols[p.value[0]] + ": " + p.value[2];
      } }, tooltip);
      o.grid = { left: 36, right: 8, top: 44, bottom: 44, containLabel: true };
      o.xAxis = { type: "category", data: d.cols, name: d.xname, nameLocation: "middle",
                  nameGap: 26, position: "top" };
      o.yAxis = { type: "category", data: d.rows, inverse: true, name: d.yname,
                  nameLocation: "middle", nameGap: 26, nameRotate: 90 };
      o.visualMap = { min: 0, max: top, calculable: false, orient: "horizontal",
                      left: "center", bottom: 0, itemHeight: 120, precision: 0,
                      inRange: { color: dark() ? ["#21262d", "#6ea8fe"]
                                                : ["#f0f3f7", "#1a5fd0"] } };
      o.series = [{ name: d.name, type: "heatmap", data: d.cells,
                    label: { show: d.labels !== false, fontSize: 12 } }];
      return o;
    },
    // {bins, counts, name}
    histogram: function (d) {
      return Object.assign(base(), {
        xAxis: { type: "category", data: d.bins },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: d.name, type: "bar", data: d.counts, barCategoryGap: "8%" }]
      });
    },
    // {reps, series: [{name, data}]}: one horizontal stacked bar per rep
    stacked: function (d) {
      return Object.assign(base(), {
        legend: { top: 0 },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: d.reps, inverse: true },
        series: d.series.map(function (s) {
          return { name: s.name, type: "bar", stack: "score", data: s.data };
        })
      });
    },
    // {indicators: [{name, max}], series: [{name, data}]}
    radar: function (d) {
      var o = base();
      o.tooltip = Object.assign({ trigger: "item" }, tooltip);
      o.legend = { top: 0 };
      o.radar = { indicator: d.indicators, radius: "62%", center: ["50%", "56%"],
                  axisName: { fontSize: 11 } };
      o.series = [{ type: "radar", data: d.series.map(function (s) {
        return { name: s.name, value: s.data };
      }) }];
      return o;
    },
    // {name, steps: [{name, value}]}: a funnel, widest first, in the order given
    funnel: function (d) {
      var o = base();
      o.tooltip = Object.assign({ trigger: "item", formatter: "{b}: {c}" }, tooltip);
      o.series = [{ name: d.name, type: "funnel", sort: "none", gap: 2, minSize: "12%",
                    left: "4%", width: "92%", top: 8, bottom: 8, data: d.steps,
                    label: { show: true, position: "inside", formatter: "{b}: {c}",
                             color: "#fff", textBorderColor: "rgba(0,0,0,0.55)",
                             textBorderWidth: 2, overflow: "truncate" } }];
      return o;
    },
    // {periods, series: [{name, data, dashed}], percent}: lines over months, dashed ones
    // (raw beside their adjusted) thinner; the axis need not start at 0
    lines: function (d) {
      return Object.assign(base(), {
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.periods },
        yAxis: { type: "value", scale: true,
                 axisLabel: d.percent ? { formatter: "{value}%" } : {} },
        series: d.series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, connectNulls: false,
                   symbolSize: s.dashed ? 3 : 5,
                   lineStyle: s.dashed ? { type: "dashed", width: 1, opacity: 0.7 }
                                       : { width: 2 } };
        })
      });
    },
    // {periods, actual, forecast, low, high, baseline, names: {actual, forecast, interval,
    // baseline}}: the history, the forecast with its interval as a band (a transparent
    // lower area and the band stacked on it) and the baseline dashed
    band: function (d) {
      var o = base();
      var spread = d.low.map(function (lo, i) {
        return lo === null || d.high[i] === null ? null : d.high[i] - lo; });
      o.legend = { top: 0, type: "scroll", data: [d.names.actual, d.names.forecast,
                                                   d.names.interval, d.names.baseline] };
      o.grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };
      o.xAxis = { type: "category", data: d.periods, boundaryGap: false };
      o.yAxis = { type: "value", min: 0 };
      o.series = [
        { name: "low", type: "line", data: d.low, stack: "band", lineStyle: { opacity: 0 },
          symbol: "none", silent: true, tooltip: { show: false } },
        { name: d.names.interval, type: "line", data: spread, stack: "band", symbol: "none",
          lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25, color: palette[0] },
          color: palette[0] },
        { name: d.names.actual, type: "line", data: d.actual, color: "#57606a" },
        { name: d.names.forecast, type: "line", data: d.forecast, color: palette[0],
          lineStyle: { width: 2 } },
        { name: d.names.baseline, type: "line", data: d.baseline, color: palette[1],
          lineStyle: { type: "dashed", width: 1.5 } }];
      return o;
    },
    // {bins: [label], predicted: [p], observed: [p], names: {predicted, observed, ideal}}:
    // the reliability diagram, observed against predicted per bin, beside the diagonal
    reliability: function (d) {
      var o = base();
      o.legend = { top: 0 };
      o.tooltip = Object.assign({ trigger: "item" }, tooltip);
      o.grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };
      o.xAxis = { type: "value", min: 0, max: 100, name: d.names.predicted,
                  nameLocation: "middle", nameGap: 24, axisLabel: { formatter: "{value}%" } };
      o.yAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
      o.series = [
        { name: d.names.ideal, type: "line", data: [[0, 0], [100, 100]], symbol: "none",
          lineStyle: { type: "dashed", width: 1 }, color: "#8c959f" },
        { name: d.names.observed, type: "line", color: palette[0],
          data: d.predicted.map(function (p, i) { return [p, d.observed[i]]; })
                .filter(function (xy) { return xy[0] !== null && xy[1] !== null; }) }];
      return o;
    },
    // {categories, values, low, high, name, interval, percent}: one horizontal bar per
    // category with a whisker from low to high (a custom series)
    interval: function (d) {
      var o = base();
      var ink = dark() ? "#e6edf3" : "#1f2328";
      o.tooltip = Object.assign({ trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (ps) {
          var i = ps[0].dataIndex;
          var unit = d.percent ? " pt" : "";
          return d.categories[i] + "<br>" + d.name + ": " + d.values[i] + unit + "<br>" +
            d.interval + ": " + d.low[i] + " … " + d.high[i] + unit;
        } }, tooltip);
      o.grid = { left: 8, right: 24, top: 8, bottom: 8, containLabel: true };
      o.xAxis = { type: "value", axisLabel: { hideOverlap: true,
                                              formatter: d.percent ? "{value} pt" : "{value}" } };
      o.yAxis = { type: "category", data: d.categories, inverse: true,
                  axisLabel: { width: 150, overflow: "truncate" } };
      o.series = [
        { name: d.name, type: "bar", data: d.values, barMaxWidth: 18 },
        { name: d.interval, type: "custom", z: 5,
          data: d.categories.map(function (_, i) { return [i, d.low[i], d.high[i]]; }),
          encode: { y: 0, x: [1, 2] },
          renderItem: function (params, api) {
            var lo = api.coord([api.value(1), api.value(0)]);
            var hi = api.coord([api.value(2), api.value(0)]);
            var h = api.size([0, 1])[1] * 0.3;
            var style = { stroke: ink, lineWidth: 1.5 };
            return { type: "group", children: [
              { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
              { type: "line", shape: { x1: lo[0], y1: lo[1] - h, x2: lo[0], y2: lo[1] + h },
                style: style },
              { type: "line", shape: { x1: hi[0], y1: hi[1] - h, x2: hi[0], y2: hi[1] + h },
                style: style }] };
          } }];
      return o;
    },
    // {steps: [{name, value, kind: total|up|down}], labels: {up, down, total}}: a waterfall,
    // each movement a floating bar from the running total (an invisible base bar beneath)
    waterfall: function (d) {
      var running = 0, floor = [], shown = [];
      var colour = { total: "#5c7cfa", up: "#2f9e44", down: "#e03131" };
      d.steps.forEach(function (s) {
        if (s.kind === "total") { running = s.value; floor.push(0); }
        else if (s.kind === "up") { floor.push(running); running += s.value; }
        else { running -= s.value; floor.push(running); }
        shown.push({ value: s.value, itemStyle: { color: colour[s.kind] },
                     kind: d.labels[s.kind] });
      });
      var o = base();
      o.tooltip = Object.assign({ trigger: "item", formatter: function (p) {
        return p.name + " (" + p.data.kind + "): " + p.value.toLocaleString();
      } }, tooltip);
      return Object.assign(o, {
        xAxis: { type: "category", data: d.steps.map(function (s) { return s.name; }),
                 axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value" },
        series: [
          { type: "bar", stack: "w", silent: true, data: floor,
            itemStyle: { color: "transparent", borderColor: "transparent" },
            tooltip: { show: false } },
          { type: "bar", stack: "w", data: shown,
            label: { show: true, position: "top", formatter: function (p) {
              return Math.round(p.value).toLocaleString(); } } }]
      });
    },
    // {categories, series: [{name, data}], percent, integer}: vertical bars per category
    bars: function (d) {
      return Object.assign(base(), {
        legend: d.series.length > 1 ? { top: 0 } : undefined,
        xAxis: { type: "category", data: d.categories,
                 axisLabel: { interval: 0, rotate: d.categories.length > 5 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: d.integer ? 1 : 0,
                 axisLabel: d.percent ? { formatter: "{value}%" } : {} },
        series: d.series.map(function (s) {
          return { name: s.name, type: "bar", data: s.data };
        })
      });
    }
  };

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-source"));
    var kind = kinds[box.getAttribute("data-chart")];
    if (!source || !kind || typeof echarts === "undefined" || box._salescoreChart) { return; }
    var chart = echarts.init(box, dark() ? "dark" : null, { renderer: "canvas" });
    chart.setOption(kind(JSON.parse(source.textContent)));
    box._salescoreChart = chart;
    live.add(chart);
  }

  function dispose(root) {
    root.querySelectorAll("[data-chart]").forEach(function (box) {
      if (box._salescoreChart) {
        live.delete(box._salescoreChart);
        box._salescoreChart.dispose();
        box._salescoreChart = null;
      }
    });
  }

  function drawAll(root) { root.querySelectorAll("[data-chart]").forEach(draw); }

  function redrawAll() { dispose(document); drawAll(document); }

  window.salescoreDrawCharts = drawAll;
  document.addEventListener("htmx:beforeSwap", function (e) { dispose(e.detail.target); });
  document.addEventListener("htmx:afterSettle", function (e) { drawAll(e.detail.target); });
  window.addEventListener("resize", function () {
    live.forEach(function (chart) { chart.resize(); });
  });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawAll);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
})();
