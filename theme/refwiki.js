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
  // Apostrophes are dropped from words (Jama’at is the term "jamaat"), here and in snippets.
  const apostrophes = "'’‘ʼ`´";
  const apostropheRe = new RegExp("[" + apostrophes + "]", "g");
  const tokenize = (s) => s.replace(apostropheRe, "").split(/[\n\r\p{Z}\p{P}\p{S}]+/u).filter(Boolean);
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
    if (typeof extra === "string") li.append(el("span", "result-summary", extra));
    else if (extra) li.append(extra);
    return li;
  }
  // The words around the first place in `text` where one of `terms` (folded, as the index
  // holds them) begins a word, with every such place in view marked: text nodes and <mark>s,
  // never HTML. Null when no term is found.
  function snippet(text, terms) {
    if (!text || !terms || !terms.length) return null;
    // Folded one character at a time, so that a place in the folded text maps back; without
    // apostrophes, as `tokenize` reads words ("Ouane’s" is the term "ouanes").
    let folded = "";
    const at = [];
    for (let i = 0; i < text.length; ) {
      const ch = String.fromCodePoint(text.codePointAt(i));
      const f = apostrophes.includes(ch) ? "" : fold(ch);
      for (let k = 0; k < f.length; k++) at.push(i);
      folded += f;
      i += ch.length;
    }
    at.push(text.length);
    const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((x, y) => y.length - x.length);
    const word = new RegExp("(?<![\\p{L}\\p{N}])(?:" + escaped.join("|") + ")", "gu");
    const hits = [...folded.matchAll(word)].map((m) => [at[m.index], at[m.index + m[0].length]]);
    if (!hits.length) return null;
    const first = hits[0][0];
    let from = Math.max(0, first - 80), to = Math.min(text.length, first + 160);
    // Cut at spaces, never past the first hit.
    if (from > 0) { const sp = text.indexOf(" ", from); if (sp >= 0 && sp < first) from = sp + 1; }
    if (to < text.length) { const sp = text.lastIndexOf(" ", to); if (sp > first) to = sp; }
    const out = el("span", "result-summary result-snippet");
    let pos = from;
    if (from > 0) out.append("… ");
    // Blocks (paragraphs, headings, list items) are a line each in the text: " · " here.
    const flat = (t) => t.replace(/\s*\n\s*/g, " · ").replace(/\s+/g, " ");
    for (const [a, b] of hits) {
      if (a < pos || b > to) continue;
      out.append(flat(text.slice(pos, a)), el("mark", "", text.slice(a, b)));
      pos = b;
    }
    out.append(flat(text.slice(pos, to)));
    if (to < text.length) out.append(" …");
    return out;
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
        // Each document keeps the number of its chunk, not its text: the texts of the hits
        // shown are fetched again (from the browser's cache) for their snippets.
        const text = new MiniSearch({ fields: ["t", "b"], storeFields: ["u", "t", "k", "c"], tokenize, processTerm: fold });
        const chunk = (i) => fetch(chunks[i]).then((r) => r.json());
        for (let i = 0; i < chunks.length; i++) text.addAll((await chunk(i)).map((d) => ({ ...d, c: i })));
        const more = text.search(q, { boost: { t: 2, b: 1 }, prefix: true, fuzzy: 0.1, combineWith: "AND" }).filter((h) => !seen.has(h.u));
        const shown = more.slice(0, 100);
        const bodies = new Map();
        for (const i of new Set(shown.map((h) => h.c))) for (const d of await chunk(i)) bodies.set(d.id, d.b);
        for (const h of shown) {
          const s = snippet(bodies.get(h.id), h.terms);
          results.append(resultItem(h, s || (h.k === "passage" ? "source passage" : "mentioned in this page")));
        }
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
