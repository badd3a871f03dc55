// refwiki reader script: theme toggle, citation and link previews, quote highlighting on
// source pages, search (MiniSearch over the build-time index) and the timeline filter.
// Everything it shows is inserted as text or cloned from the page, never parsed from strings.
(() => {
  "use strict";
  const root = document.documentElement;
  const base = root.dataset.base || "/";
  const $ = (sel, el = document) => el.querySelector(sel);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // ---- Light / dark ---------------------------------------------------------------------
  const toggle = $("#theme-toggle");
  if (toggle) {
    const current = () => root.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    const sync = () => {
      const dark = current() === "dark";
      toggle.setAttribute("aria-pressed", String(dark));
      toggle.textContent = dark ? "Light mode" : "Dark mode";
    };
    toggle.hidden = false;
    sync();
    toggle.addEventListener("click", () => {
      root.dataset.theme = current() === "dark" ? "light" : "dark";
      try { localStorage.setItem("refwiki-theme", root.dataset.theme); } catch (e) { /* ignore */ }
      sync();
    });
  }

  // ---- Preview cards --------------------------------------------------------------------
  let card = null;
  let hideTimer = 0;
  function showCard(anchor, content) {
    clearTimeout(hideTimer);
    if (!card) {
      card = el("div", "preview-card");
      card.id = "preview-card";
      card.setAttribute("role", "tooltip");
      card.addEventListener("mouseenter", () => clearTimeout(hideTimer));
      card.addEventListener("mouseleave", scheduleHide);
      document.body.append(card);
    }
    card.replaceChildren(content);
    card.hidden = false;
    const r = anchor.getBoundingClientRect();
    const width = Math.min(420, window.innerWidth - 16);
    card.style.width = width + "px";
    const left = Math.max(8, Math.min(window.scrollX + r.left - 20, window.scrollX + window.innerWidth - width - 8));
    card.style.left = left + "px";
    card.style.top = (window.scrollY + r.bottom + 8) + "px";
    anchor.setAttribute("aria-describedby", "preview-card");
  }
  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => { if (card) card.hidden = true; }, 150);
  }
  function citePreview(a) {
    const li = document.getElementById("cite-" + a.dataset.ref);
    const ctx = li && $(".ctx", li);
    if (!ctx) return null;
    const c = ctx.cloneNode(true);
    c.hidden = false;
    return c;
  }
  function linkPreview(a) {
    const box = el("div", "link-preview");
    box.append(el("p", "preview-kind", a.dataset.kind || ""), el("p", "preview-title", a.title || a.textContent), el("p", "preview-summary", a.dataset.summary || ""));
    return box;
  }
  function bindPreview(selector, build) {
    document.querySelectorAll(selector).forEach((a) => {
      const open = () => { const c = build(a); if (c) showCard(a, c); };
      a.addEventListener("mouseenter", open);
      a.addEventListener("focus", open);
      a.addEventListener("mouseleave", scheduleHide);
      a.addEventListener("blur", scheduleHide);
    });
  }
  bindPreview(".body sup.cite a[data-ref]", citePreview);
  bindPreview("a.wikilink", linkPreview);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && card) card.hidden = true; });

  // ---- Quote highlighting on source pages -------------------------------------------------
  function highlight(container, start, end) {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    const parts = [];
    let offset = 0;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const len = n.data.length;
      const a = Math.max(start, offset), b = Math.min(end, offset + len);
      if (a < b) parts.push([n, a - offset, b - offset]);
      offset += len;
    }
    let first = null;
    for (const [node, a, b] of parts) {
      const mid = node.splitText(a);
      mid.splitText(b - a);
      const mark = el("mark", "hl");
      mid.replaceWith(mark);
      mark.append(mid);
      first = first || mark;
    }
    return first;
  }
  if (document.body.classList.contains("source-page")) {
    const m = /[?&]hl=(\d+)-(\d+)/.exec(location.search);
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (m && target) {
      const text = $(".text", target);
      const first = text && highlight(text, Number(m[1]), Number(m[2]));
      if (first) {
        first.id = "quote";
        first.setAttribute("tabindex", "-1");
        first.scrollIntoView({ block: "center" });
      }
    }
  }

  // ---- Search -----------------------------------------------------------------------------
  const fold = (s) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  const tokenize = (s) => s.replace(/['’‘ʼ`´]/g, "").split(/[\n\r\p{Z}\p{P}\p{S}]+/u).filter(Boolean);
  let libraryPromise = null;
  function library() {
    if (!libraryPromise) {
      libraryPromise = new Promise((resolve, reject) => {
        if (window.MiniSearch) return resolve(window.MiniSearch);
        const s = document.createElement("script");
        s.src = base + "vendor/minisearch.js";
        s.onload = () => resolve(window.MiniSearch);
        s.onerror = reject;
        document.head.append(s);
      });
    }
    return libraryPromise;
  }
  let namesPromise = null;
  function names() {
    if (!namesPromise) {
      namesPromise = Promise.all([library(), fetch(base + "search/names.json").then((r) => r.json())]).then(([MiniSearch, data]) => {
        const ms = new MiniSearch({
          fields: ["t", "a", "s"],
          storeFields: ["u", "t", "k", "s"],
          extractField: (doc, f) => (f === "a" ? doc.a.join(" ; ") : doc[f]),
          tokenize,
          processTerm: fold,
        });
        ms.addAll(data.docs);
        return { ms, chunks: data.chunks };
      });
    }
    return namesPromise;
  }
  const nameOptions = { boost: { t: 4, a: 3, s: 0.5 }, prefix: true, fuzzy: (t) => (t.length > 4 ? 0.2 : 0), combineWith: "AND" };
  function resultItem(hit, extra) {
    const li = el("li", "result");
    const a = el("a", "", hit.t);
    a.href = hit.u;
    li.append(a, el("span", "result-kind", hit.k));
    if (extra) li.append(el("span", "result-summary", extra));
    return li;
  }

  const box = $("#search-box");
  const list = $("#search-suggestions");
  if (box && list) {
    let timer = 0;
    box.addEventListener("focus", () => { names(); }, { once: true });
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = box.value.trim();
        list.replaceChildren();
        if (!q) { list.hidden = true; return; }
        const { ms } = await names();
        for (const hit of ms.search(q, nameOptions).slice(0, 8)) {
          const li = resultItem(hit);
          li.setAttribute("role", "option");
          list.append(li);
        }
        list.hidden = list.children.length === 0;
      }, 60);
    });
    box.addEventListener("keydown", (e) => {
      if (e.key === "Escape") list.hidden = true;
      if (e.key === "ArrowDown" && !list.hidden) { const a = $("a", list); if (a) { e.preventDefault(); a.focus(); } }
    });
    document.addEventListener("click", (e) => { if (!list.contains(e.target) && e.target !== box) list.hidden = true; });
  }

  if (document.body.classList.contains("search-page")) {
    const input = $("#search-page-box");
    const status = $("#search-status");
    const results = $("#search-results");
    const q = new URLSearchParams(location.search).get("q") || "";
    input.value = q;
    if (box) box.value = q;
    if (!q.trim()) {
      status.textContent = "Type a name, an alias or any words.";
    } else {
      status.textContent = "Searching…";
      (async () => {
        const { ms, chunks } = await names();
        const seen = new Set();
        const hits = ms.search(q, nameOptions);
        for (const h of hits) { seen.add(h.u); results.append(resultItem(h, h.s)); }
        status.textContent = hits.length + " matching entities; searching pages and sources…";
        const MiniSearch = await library();
        const text = new MiniSearch({ fields: ["t", "b"], storeFields: ["u", "t", "k"], tokenize, processTerm: fold });
        for (const c of chunks) text.addAll(await fetch(c).then((r) => r.json()));
        const more = text.search(q, { boost: { t: 2, b: 1 }, prefix: true, fuzzy: 0.1, combineWith: "AND" }).filter((h) => !seen.has(h.u));
        for (const h of more.slice(0, 100)) results.append(resultItem(h, h.k === "passage" ? "source passage" : "mentioned in this page"));
        status.textContent = (hits.length + Math.min(more.length, 100)) + " results for “" + q + "”";
      })().catch(() => { status.textContent = "Search failed to load."; });
    }
  }

  // ---- Timeline filter -------------------------------------------------------------------
  const filter = $(".timeline-filter");
  if (filter) {
    filter.hidden = false;
    filter.addEventListener("change", () => {
      const on = new Set([...filter.querySelectorAll("input:checked")].map((i) => i.value));
      document.querySelectorAll(".timeline li[data-kind]").forEach((li) => { li.hidden = !on.has(li.dataset.kind); });
    });
  }
})();
