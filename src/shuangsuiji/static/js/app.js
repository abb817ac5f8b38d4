// Small behaviours for every page, without inline script (the content security policy
// allows scripts from this site only): data-autosubmit submits its form on change,
// data-fullscreen asks for full screen (the projector view).
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("[data-autosubmit]") && event.target.form) {
    event.target.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-fullscreen]");
  if (button && document.documentElement.requestFullscreen) {
    document.documentElement.requestFullscreen();
  }
});
// data-confirm on a form: irreversible actions (公示, 确认锁定, 派发, 作废) ask first, saying
// what follows and for how many. data-confirm-count names the checkboxes whose checked
// count replaces {n}; none checked → the form is not sent.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var text = form.getAttribute && form.getAttribute("data-confirm");
  if (!text) return;
  var counted = form.getAttribute("data-confirm-count");
  if (counted) {
    var n = document.querySelectorAll(counted + ":checked").length;
    if (!n) {
      window.alert("请先勾选要处理的记录。");
      event.preventDefault();
      return;
    }
    text = text.replace("{n}", String(n));
  }
  if (!window.confirm(text)) event.preventDefault();
}, true);
// data-picker (common/forms.py DepartmentPicker): the filter box hides the departments and
// the regions that do not match what is typed; the checked ones always stay in view.
document.addEventListener("input", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches(".picker-filter")) return;
  var picker = box.closest("[data-picker]");
  var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  var shown = 0;
  picker.querySelectorAll(".picker-group").forEach(function (group) {
    var region = (group.querySelector("legend") || {}).textContent || "";
    var any = 0;
    group.querySelectorAll(".picker-option").forEach(function (option) {
      var text = (region + " " + option.textContent).toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; }) ||
        option.querySelector("input").checked;
      option.hidden = !keep;
      if (keep) any += 1;
    });
    group.hidden = !any;
    shown += any;
  });
  var none = picker.querySelector(".picker-none");
  if (none) none.hidden = shown > 0;
});
// data-error-summary: the errors of a public form, shown again at its top, take the focus
// when the page opens — the phone scrolls to them and a screen reader reads them out
// (the element's autofocus does the same where the browser honours it on a div).
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  if (document.activeElement !== summary) summary.focus();
  summary.scrollIntoView({ block: "start" });
})();
// A table wider than the screen scrolls sideways (.scroll): the region takes the keyboard
// focus so it can be scrolled without a mouse (axe scrollable-region-focusable).
function ssjFocusableScrolls() {
  document.querySelectorAll(".scroll, .picker-groups, main table").forEach(function (el) {
    var overflows = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
    if (overflows && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
      if (!el.getAttribute("role") && el.tagName !== "TABLE") {
        el.setAttribute("role", "region");
        el.setAttribute("aria-label", "可滚动的区域（可用方向键滚动）");
      }
    }
  });
}
document.addEventListener("DOMContentLoaded", ssjFocusableScrolls);
window.addEventListener("resize", ssjFocusableScrolls);
