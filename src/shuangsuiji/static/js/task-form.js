// 增加一类: copy the last class row with the next formset index (plain DOM, works offline).
document.getElementById("add-class").addEventListener("click", function () {
  var total = document.getElementById("id_classes-TOTAL_FORMS");
  var rows = document.querySelectorAll("tr.class-row");
  var last = rows[rows.length - 1];
  var n = parseInt(total.value, 10);
  var copy = last.cloneNode(true);
  copy.classList.remove("error");
  copy.querySelectorAll(".errorlist").forEach(function (e) { e.remove(); });
  copy.innerHTML = copy.innerHTML.replace(/classes-(\d+)-/g, "classes-" + n + "-");
  copy.querySelector("td").textContent = n + 1;
  copy.querySelectorAll("input").forEach(function (i) {
    if (i.type === "checkbox") i.checked = false; else i.value = "";
  });
  copy.querySelectorAll("select").forEach(function (s) { s.selectedIndex = s.multiple ? -1 : 0; });
  last.parentNode.appendChild(copy);
  total.value = n + 1;
});
