// refwiki live reload: reloads this page when a rebuild changed it, shows an overlay with the
// diagnostics while the build is broken, and reconnects after a server restart.
(() => {
  "use strict";
  const norm = (p) => (p.endsWith("/index.html") ? p.slice(0, -"index.html".length) : p);
  const here = norm(decodeURI(location.pathname));
  const brokenPage = document.body && document.body.dataset.refwikiError === "1";
  let generation = null;
  let overlay = null;

  function show(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "refwiki-overlay";
      overlay.setAttribute("role", "alert");
      const s = overlay.style;
      s.position = "fixed"; s.inset = "0"; s.zIndex = "2147483647"; s.overflow = "auto";
      s.background = "rgba(20, 20, 24, 0.94)"; s.color = "#f4f4f4"; s.padding = "2rem";
      s.font = "14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
      const h = document.createElement("h2");
      h.textContent = "refwiki: the build failed (the last good page is kept underneath)";
      h.style.color = "#ff8a80";
      const pre = document.createElement("pre");
      pre.style.whiteSpace = "pre-wrap";
      overlay.append(h, pre);
      document.body.append(overlay);
    }
    overlay.querySelector("pre").textContent = text; // text, never HTML
  }

  function hide() {
    if (overlay) { overlay.remove(); overlay = null; }
  }

  function connect() {
    const es = new EventSource("/__refwiki/events");
    es.addEventListener("hello", (e) => {
      if (generation !== null && e.data !== generation) { location.reload(); return; }
      generation = e.data;
    });
    es.addEventListener("reload", (e) => {
      hide();
      let urls = [];
      try { urls = JSON.parse(e.data); } catch (_) { urls = ["*"]; }
      if (brokenPage || urls.includes("*") || urls.map(norm).includes(here)) location.reload();
    });
    es.addEventListener("error", (e) => {
      if (typeof e.data === "string") show(e.data); // a named `error` event from the server
    });
  }
  connect();
})();
