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
