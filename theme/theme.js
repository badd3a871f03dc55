// Applies the reader's saved light/dark choice before the page paints (no inline script,
// so the Content-Security-Policy can forbid them).
try {
  var t = localStorage.getItem("refwiki-theme");
  if (t === "dark" || t === "light") document.documentElement.dataset.theme = t;
} catch (e) { /* storage disabled: follow the system */ }
