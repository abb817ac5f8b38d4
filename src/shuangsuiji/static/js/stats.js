// 统计分析 charts (Apache ECharts, served from this site). Each chart has its table below it.
(function () {
  function draw() {
    var holder = document.getElementById("stats-chart-data");
    if (!holder || typeof echarts === "undefined") return;
    var data = JSON.parse(holder.textContent);
    var bar = function (id, names, series) {
      var el = document.getElementById(id);
      if (!el || !names.length) return;
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: series.length > 1 ? {} : undefined,
        grid: { left: 8, right: 8, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: names, axisLabel: { interval: 0, width: 80, overflow: "break" } },
        yAxis: { type: "value", minInterval: 1 },
        series: series
      });
      window.addEventListener("resize", function () { chart.resize(); });
    };
    var c = data.conclusions || [];
    bar("chart-conclusions", c.map(function (r) { return r[0]; }),
        [{ type: "bar", name: "检查结果", data: c.map(function (r) { return r[1]; }), itemStyle: { color: "#b3261e" } }]);
    var d = data.departments || [];
    bar("chart-departments", d.map(function (r) { return r[0]; }), [
      { type: "bar", name: "已检查的检查对象", data: d.map(function (r) { return r[1]; }) },
      { type: "bar", name: "检查结果", data: d.map(function (r) { return r[2]; }) }
    ]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
