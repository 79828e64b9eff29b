/* report.html: search, sort, filter and page through the pieces; the rows are JSON data, drawn 100 at a time.
   Inert to scraped text: data reaches the page only through textContent, value and data-* properties, never as
   markup; links are built from numbers. The search shards are script files (report/search/*.js) this script adds
   by itself (allowed by the CSP's 'strict-dynamic'), because fetch() cannot read files from disk. */
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const F = {};
  data.fields.forEach(function (name, i) { F[name] = i; });
  const rows = data.rows;
  const PAGE = 100;
  const $ = function (id) { return document.getElementById(id); };
  const controls = {
    search: $("f-search"), view: $("f-view"), sort: $("f-sort"), outlet: $("f-outlet"), lang: $("f-lang"),
    from: $("f-from"), to: $("f-to"), score: $("f-score"), diag: $("f-diag"), coverage: $("f-coverage")
  };
  if ($("f-system")) controls.system = $("f-system");  // only when several systems translated the pieces
  const tbody = document.querySelector("#piece-index tbody");
  const counter = $("f-count");
  const note = $("f-search-note");
  const where = $("p-where");
  let page = 0;
  let found = null;  // Set of piece numbers matching the search, or null when there is no query
  let queryWords = [];  // the words of the search, for quoting each hit in its context
  let only = null;  // a piece number named by the address (report.html#piece-N), or null
  let shown = [];

  // -- search: the same normal form as pipeline/export/search.py, its rules read from the data
  const cfg = data.search;
  const wordRe = /[\p{L}\p{N}]+/gu;
  function normalise(text) {
    const plain = text.normalize("NFKD").replace(/\p{Mn}/gu, "");
    let out = "";
    for (const ch of plain) out += Object.prototype.hasOwnProperty.call(cfg.folds, ch) ? cfg.folds[ch] : ch;
    return out.toLowerCase();
  }
  function stripArticle(word) {
    for (const article of cfg.articles) {
      if (word.startsWith(article) && word.length - article.length >= cfg.min_rest) return word.slice(article.length);
    }
    return word;
  }
  function words(text) {
    const out = [];
    for (const m of normalise(text).matchAll(wordRe)) {
      const w = stripArticle(m[0]);
      if (w.length >= cfg.min_word && w.length <= cfg.max_word && out.indexOf(w) < 0) out.push(w);
    }
    return out;
  }
  function shardKey(word) {
    return Array.from(word).slice(0, cfg.shard_chars).map(function (ch) {
      return ch.codePointAt(0).toString(16).padStart(4, "0");
    }).join("-");
  }
  const shards = {};
  const waiting = {};
  window.reportSearchShard = function (key, shard) {
    if (waiting[key]) { waiting[key](shard); delete waiting[key]; }
  };
  function loadShard(key) {
    if (!/^[0-9a-f]{4}(-[0-9a-f]{4})*$/.test(key)) return Promise.resolve({});
    if (!shards[key]) {
      shards[key] = new Promise(function (resolve) {
        waiting[key] = resolve;
        const el = document.createElement("script");
        el.src = cfg.folder + key + ".js";
        el.onerror = function () { delete waiting[key]; resolve({}); };  // no word starts with these letters
        document.head.appendChild(el);
      });
    }
    return shards[key];
  }
  function piecesWith(word) {
    return loadShard(shardKey(word)).then(function (shard) {
      const hits = new Set();
      Object.keys(shard).forEach(function (w) {
        if (!w.startsWith(word)) return;
        let n = 0;
        shard[w].forEach(function (gap) { n += gap; hits.add(n); });
      });
      return hits;
    });
  }
  let query = 0;
  function search() {
    const asked = ++query;
    const text = controls.search.value.trim();
    const ws = words(text);
    queryWords = ws;
    if (!text) { found = null; note.textContent = ""; page = 0; apply(); note.dataset.query = text; return; }
    if (!ws.length) {
      found = new Set();
      note.textContent = "Type at least " + cfg.min_word + " letters of a word.";
      page = 0; apply(); note.dataset.query = text; return;
    }
    note.textContent = "Searching…";
    Promise.all(ws.map(piecesWith)).then(function (sets) {
      if (asked !== query) return;  // a newer query is on its way
      sets.sort(function (a, b) { return a.size - b.size; });
      const all = new Set();
      sets[0].forEach(function (n) { if (sets.every(function (s) { return s.has(n); })) all.add(n); });
      found = all;
      note.textContent = all.size + " piece" + (all.size === 1 ? "" : "s") + " contain " +
        ws.map(function (w) { return "“" + w + "…”"; }).join(" and ") +
        " (titles, translations, English text; Arabic without vowels, hamza or article).";
      page = 0;
      apply();
      note.dataset.query = text;  // the rows shown are this query's
    });
  }

  // -- quoting a search hit: the texts of 100 pieces a file (report/text/NNNN.js), added like the shards
  const texts = {};
  const textsWaiting = {};
  window.reportText = function (chunk, entries) {
    if (textsWaiting[chunk]) { textsWaiting[chunk](entries); delete textsWaiting[chunk]; }
  };
  function loadTexts(number) {
    const chunk = Math.floor(number / data.text.chunk);
    if (!texts[chunk]) {
      texts[chunk] = new Promise(function (resolve) {
        textsWaiting[chunk] = resolve;
        const el = document.createElement("script");
        el.src = data.text.folder + pad(chunk) + ".js";
        el.onerror = function () { delete textsWaiting[chunk]; resolve({}); };
        document.head.appendChild(el);
      });
    }
    return texts[chunk].then(function (entries) { return entries[String(number)] || []; });
  }
  function findHit(fields, ws) {
    for (const [label, text] of fields) {
      for (const m of text.matchAll(wordRe)) {
        const w = stripArticle(normalise(m[0]));
        if (ws.some(function (q) { return w.startsWith(q); })) return {label: label, text: text, start: m.index, end: m.index + m[0].length};
      }
    }
    return null;
  }
  const CONTEXT = 70;
  function quote(hit) {
    let from = Math.max(0, hit.start - CONTEXT), to = Math.min(hit.text.length, hit.end + CONTEXT);
    if (from > 0) { const space = hit.text.indexOf(" ", from); if (space >= 0 && space < hit.start) from = space + 1; }
    if (to < hit.text.length) { const space = hit.text.lastIndexOf(" ", to); if (space > hit.end) to = space; }
    const box = el("div", null, {"class": "snippet"});
    box.appendChild(el("span", hit.label, {"class": "tag"}));
    const line = el("span", null, {"dir": "auto"});
    line.appendChild(document.createTextNode((from > 0 ? "…" : "") + hit.text.slice(from, hit.start)));
    line.appendChild(el("mark", hit.text.slice(hit.start, hit.end)));
    line.appendChild(document.createTextNode(hit.text.slice(hit.end, to) + (to < hit.text.length ? "…" : "")));
    box.appendChild(line);
    return box;
  }
  function addSnippet(cellEl, number, ws) {
    loadTexts(number).then(function (fields) {
      if (ws !== queryWords) return;  // a newer search replaced this one
      const hit = findHit(fields, ws);
      if (hit) cellEl.appendChild(quote(hit));
    });
  }

  // -- filter and sort
  function keep(r) {
    if (only !== null && r[F.number] !== only) return false;
    if (found && !found.has(r[F.number])) return false;
    if (controls.system && controls.system.value && r[F.systems].indexOf(controls.system.value) < 0) return false;
    if (controls.view.value === "review" && !r[F.review].length) return false;
    const outlet = controls.outlet.value;
    if (outlet && r[F.outlet] !== outlet) return false;
    if (controls.lang.value && r[F.lang] !== controls.lang.value) return false;
    const from = controls.from.value, to = controls.to.value, date = r[F.date];
    if ((from || to) && !date) return false;
    if (from && date < from) return false;
    if (to && date > to) return false;
    const min = parseFloat(controls.score.value);
    if (!isNaN(min) && min > 0 && (r[F.score] === null || r[F.score] < min)) return false;
    if (controls.diag.value && r[F.diag] !== controls.diag.value) return false;
    if (controls.coverage.value && r[F.coverage] !== controls.coverage.value) return false;
    return true;
  }
  function nullsLast(a, b, cmp) {
    if (a === null || a === "") return (b === null || b === "") ? 0 : 1;
    if (b === null || b === "") return -1;
    return cmp(a, b);
  }
  const byNumber = function (a, b) { return a[F.number] - b[F.number]; };
  // the stronger match first: by log-odds where both have one (it does not saturate), else by score
  function stronger(a, b) {
    if (a[F.strength] !== null && b[F.strength] !== null) return b[F.strength] - a[F.strength];
    return b[F.score] - a[F.score];
  }
  const sorts = {
    "number": byNumber,
    "date-desc": function (a, b) { return nullsLast(a[F.date], b[F.date], function (x, y) { return x < y ? 1 : x > y ? -1 : 0; }) || byNumber(a, b); },
    "date-asc": function (a, b) { return nullsLast(a[F.date], b[F.date], function (x, y) { return x < y ? -1 : x > y ? 1 : 0; }) || byNumber(a, b); },
    // the log-odds ranks matches whose scores all round to 1.00; the score where no log-odds was recorded
    "score-desc": function (a, b) { return nullsLast(a[F.score], b[F.score], function () { return stronger(a, b); }) || byNumber(a, b); },
    "score-asc": function (a, b) { return nullsLast(a[F.score], b[F.score], function () { return stronger(b, a); }) || byNumber(a, b); },
    "outlet": function (a, b) { return nullsLast(a[F.outlet], b[F.outlet], function (x, y) { return x.localeCompare(y); }) || byNumber(a, b); },
    "diag": function (a, b) { return (b[F.flagged] - a[F.flagged]) || byNumber(a, b); }
  };

  // -- drawing rows: elements and textContent only
  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function pad(n) { return String(n | 0).padStart(4, "0"); }
  function link(href, text) { const a = el("a", text); a.href = href; return a; }
  function cell(tr, cls) { const td = el("td"); if (cls) td.className = cls; tr.appendChild(td); return td; }
  function drawRow(r) {
    const tr = el("tr", null, { "data-kind": "piece", "data-number": String(r[F.number]) });
    cell(tr, "num").textContent = r[F.number];
    const title = cell(tr);
    if (r[F.lang] === "ar") {
      title.appendChild(el("div", r[F.title] || "(untitled)", { "class": "ar clip", "dir": "rtl", "lang": "ar" }));
      if (r[F.title_en]) title.appendChild(el("div", r[F.title_en], { "lang": "en", "class": "clip" }));
    } else {
      title.appendChild(el("div", r[F.title] || "(untitled)", { "dir": "auto", "class": "clip" }));
    }
    title.appendChild(el("div", (r[F.input_id] ? r[F.input_id] + " · " : "") + r[F.id] + " · " + r[F.source], { "class": "muted clip2", "title": r[F.source] }));
    if (found && queryWords.length) addSnippet(title, r[F.number], queryWords);
    cell(tr).textContent = r[F.lang];
    cell(tr, "date").textContent = r[F.date];
    cell(tr).textContent = r[F.outlet];
    const status = cell(tr, "status");
    status.textContent = r[F.status].replace(/_/g, " ");
    if (r[F.status] === "pending" && $("pending-banner")) status.appendChild(el("div", "see the note at the top", { "class": "muted" }));
    if (r[F.reason]) status.appendChild(el("div", r[F.reason], { "class": "muted" }));
    if (r[F.systems].length) status.appendChild(el("div", "by " + r[F.systems].join(", "), { "class": "muted" }));
    const coverage = cell(tr);
    r[F.matches].forEach(function (m, i) {
      if (i) coverage.appendChild(el("br"));
      coverage.appendChild(link(data.folder + "matches-" + pad(m[1]) + ".html#match-" + (m[0] | 0), "match " + (m[0] | 0)));
      coverage.appendChild(document.createTextNode(" (" + Number(m[2]).toFixed(2) + ")"));
    });
    if (!r[F.matches].length) {
      const words = r[F.coverage].replace(/_/g, " ");
      if (r[F.page]) {
        coverage.appendChild(link(data.folder + "pieces-" + pad(r[F.page]) + ".html#piece-" + (r[F.number] | 0), words));
        if (r[F.near] !== null) coverage.appendChild(el("div", "best candidate " + Number(r[F.near]).toFixed(2), { "class": "muted" }));
      } else {
        coverage.appendChild(el("span", words, { "class": "muted" }));
      }
    }
    const score = cell(tr, "num");
    score.textContent = r[F.score] === null ? "" : Number(r[F.score]).toFixed(2);
    if (r[F.strength] !== null) score.appendChild(el("div", "log-odds " + (r[F.strength] >= 0 ? "+" : "") + Number(r[F.strength]).toFixed(1), { "class": "muted sub" }));
    const diag = cell(tr);
    if (r[F.diag] === "flagged") {
      r[F.flags].forEach(function (name) {
        diag.appendChild(el("span", data.flag_labels[name] || name, { "class": "tag warn" }));
      });
      diag.appendChild(el("div", r[F.flagged] + " flagged", { "class": "muted" }));
    } else if (r[F.diag] === "clean") {
      diag.appendChild(el("span", "clean", { "class": "tag ok" }));
    } else if (r[F.diag] === "none") {
      diag.appendChild(el("span", "not diagnosed", { "class": "muted" }));
    }
    const review = cell(tr, "review");
    if (r[F.review].length) {
      const ul = el("ul", null, { "class": "review" });
      r[F.review].forEach(function (text) { ul.appendChild(el("li", text)); });
      review.appendChild(ul);
    }
    return tr;
  }
  function draw() {
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    const slice = shown.slice(page * PAGE, page * PAGE + PAGE);
    const frag = document.createDocumentFragment();
    slice.forEach(function (r) { frag.appendChild(drawRow(r)); });
    tbody.replaceChildren(frag);
    where.textContent = shown.length ? "rows " + (page * PAGE + 1) + "–" + (page * PAGE + slice.length) + " of " + shown.length +
      " (page " + (page + 1) + " of " + pages + ")" : "no rows";
    $("p-prev").disabled = page === 0;
    $("p-next").disabled = page >= pages - 1;
  }
  function apply() {
    shown = rows.filter(keep);
    const onlyNote = $("f-only");
    onlyNote.hidden = only === null;
    onlyNote.textContent = only === null ? "" : "Showing piece " + only + " only, as the link asked; Reset shows every piece.";
    shown.sort(sorts[controls.sort.value] || byNumber);
    counter.textContent = shown.length + " of " + rows.length + " pieces shown";
    draw();
  }

  let timer = null;
  controls.search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 200); });
  Object.keys(controls).forEach(function (id) {
    if (id === "search") return;
    controls[id].addEventListener("input", function () { page = 0; apply(); });
    controls[id].addEventListener("change", function () { page = 0; apply(); });
  });
  $("p-prev").addEventListener("click", function () { page -= 1; draw(); });
  $("p-next").addEventListener("click", function () { page += 1; draw(); });
  $("f-reset").addEventListener("click", function () {
    Object.keys(controls).forEach(function (id) { controls[id].value = controls[id].defaultValue || ""; });
    controls.sort.value = "number";
    found = null; queryWords = []; only = null; note.textContent = ""; page = 0; query += 1;
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    apply();
  });
  // report.html#piece-N (the link a page of report/ gives to a piece without a section of its own) shows that row
  function fromAddress() {
    const m = /^#piece-(\d+)$/.exec(location.hash);
    only = m ? Number(m[1]) : null;
    page = 0;
  }
  window.addEventListener("hashchange", function () { fromAddress(); apply(); });
  fromAddress();
  apply();
  document.body.dataset.ready = "1";
}());
