// The report page's script, inlined into the page after d3-hierarchy. It
// reads the embedded ReportData (model.ts) and builds every view with DOM
// calls: data only ever reaches the page as textContent or attribute values,
// never as markup. Plain ES2020 with no template literals, so it can sit in
// this file's string as written.

export const PAGE_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var SEV = ["critical", "high", "medium", "low", "negligible", "unknown"];
  var FSEV = ["critical", "high", "medium", "low", "info"];
  var current = 0;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  // Appends the children given and returns the last one.
  function add(parent) {
    var last = parent;
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) last = parent.appendChild(arguments[i]);
    return last;
  }
  function bytes(n) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], v = Math.abs(n), i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (n < 0 ? "-" : "") + v.toFixed(i === 0 ? 0 : 1) + " " + u[i];
  }
  function signed(n, f) { return (n > 0 ? "+" : "") + (f ? f(n) : String(n)); }
  function card(parent, label, key, value, text, title) {
    var c = add(parent, el("div", { "class": "card" }));
    add(c, el("div", { "class": "k" }, label));
    add(c, el("div", { "class": "v", "data-k": key, "data-v": value, title: title }, text));
  }
  function table(headers, rows, opts) {
    opts = opts || {};
    var wrap = el("div", { "class": "scroll" });
    var t = add(wrap, el("table", opts.id ? { id: opts.id } : null));
    var tr = add(add(t, el("thead")), el("tr"));
    headers.forEach(function (h, i) {
      var th = add(tr, el("th", { scope: "col", "class": h.num ? "num" : null }));
      if (opts.sort) {
        var b = add(th, el("button", { type: "button", "data-col": i }, h.label));
        b.addEventListener("click", function () { opts.sort(i, th); });
      } else th.textContent = h.label;
    });
    var body = add(t, el("tbody"));
    rows.forEach(function (r) { body.appendChild(r); });
    return wrap;
  }
  function row(cells) {
    var tr = el("tr");
    cells.forEach(function (c) {
      if (c instanceof Node) { var td = el("td"); td.appendChild(c); tr.appendChild(td); }
      else if (c && typeof c === "object") tr.appendChild(el("td", c.attrs, c.text));
      else tr.appendChild(el("td", null, c));
    });
    return tr;
  }
  function sevCell(s) { return { text: s, attrs: { "class": "sev sev-" + s } }; }
  function link(url, text) {
    // Only the advisory pages the report itself builds: never a script: or data: URL.
    if (!/^https:\/\//.test(url)) return document.createTextNode(text);
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text);
  }

  // ---- tabs
  var views = [["summary", "Summary"], ["composition", "Composition"], ["vulnerabilities", "Vulnerabilities"],
    ["audit", "Audit & lint"], ["licences", "Licences"]];
  if (data.compare) views.push(["compare", "Compare"]);
  var nav = document.getElementById("tabs"), main = document.getElementById("views");
  var panels = {}, tabs = [];
  views.forEach(function (v, i) {
    var b = add(nav, el("button", { role: "tab", id: "tab-" + v[0], "aria-controls": "view-" + v[0], "aria-selected": "false", tabindex: "-1", type: "button" }, v[1]));
    b.addEventListener("click", function () { show(v[0]); });
    b.addEventListener("keydown", function (e) {
      var d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!d) return;
      e.preventDefault();
      var n = views[(i + d + views.length) % views.length][0];
      show(n); document.getElementById("tab-" + n).focus();
    });
    tabs.push(b);
    panels[v[0]] = add(main, el("section", { role: "tabpanel", id: "view-" + v[0], "aria-labelledby": "tab-" + v[0], tabindex: "0", hidden: "" }));
  });
  function show(name) {
    views.forEach(function (v) {
      var on = v[0] === name;
      document.getElementById("tab-" + v[0]).setAttribute("aria-selected", String(on));
      document.getElementById("tab-" + v[0]).setAttribute("tabindex", on ? "0" : "-1");
      if (on) panels[v[0]].removeAttribute("hidden"); else panels[v[0]].setAttribute("hidden", "");
    });
    if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
    if (name === "composition") drawTreemap();
  }

  // ---- the image picker, with --compare
  var picker = document.getElementById("image-picker");
  if (data.images.length > 1) {
    var sel = add(picker, el("select", { id: "image-select", "aria-label": "Image shown" }));
    data.images.forEach(function (im, i) { add(sel, el("option", { value: i }, im.ref)); });
    sel.addEventListener("change", function () { current = Number(sel.value); renderImage(); });
  } else picker.remove();

  function renderImage() {
    var im = data.images[current];
    document.getElementById("title").textContent = "cudaseal report: " + im.ref;
    renderSummary(im); renderComposition(im); renderVulns(im); renderAudit(im); renderLicences(im);
    var open = views.filter(function (v) { return !panels[v[0]].hasAttribute("hidden"); })[0];
    if (open && open[0] === "composition") drawTreemap();
  }

  // ---- summary
  function renderSummary(im) {
    var p = panels.summary; p.textContent = "";
    var s = im.stats;
    add(p, el("h2", null, "Summary"));
    var cards = add(p, el("div", { "class": "cards", id: "summary-cards" }));
    card(cards, "Compressed size", "compressedSize", s.compressedSize, bytes(s.compressedSize), s.compressedSize + " bytes");
    card(cards, "Uncompressed size", "uncompressedSize", s.uncompressedSize, bytes(s.uncompressedSize), s.uncompressedSize + " bytes");
    card(cards, "Layers", "layers", s.layers, s.layers);
    card(cards, "Packages", "packages", s.packages, s.packages);
    card(cards, "Python packages", "pythonPackages", s.pythonPackages, s.pythonPackages);
    card(cards, "Files", "files", s.files, s.files);
    card(cards, "User", "user", s.user, s.user);
    card(cards, "Platform", "platform", im.platform, im.platform);
    card(cards, "CUDA", "cudaVersion", im.cuda.version || "", im.cuda.version || "none declared");
    card(cards, "Driver needed", "driver", im.cuda.driver || "", im.cuda.driver ? ">= " + im.cuda.driver : "n/a", im.cuda.requirement);
    var sig = im.signatures;
    card(cards, "Signatures", "signatures", sig.signatures, sig.checked ? sig.signatures + " signatures, " + sig.attestations + " attestations" : "not checked", sig.reason || "found, not verified: cudaseal verify --key checks them");
    add(p, el("p", { "class": "muted mono" }, im.digest + (im.created ? " · created " + im.created : "")));
    add(p, el("h2", null, "Vulnerabilities by severity"));
    var v = im.vulnerabilities;
    if (!v.scanned) add(p, el("p", { "class": "muted", id: "cve-reason" }, "Not scanned: " + v.reason));
    else {
      add(p, table([{ label: "Severity" }, { label: "Fixed", num: 1 }, { label: "Open", num: 1 }],
        SEV.map(function (k) {
          return row([sevCell(k), { text: v.counts[k].fixed, attrs: { "class": "num", "data-k": "cve-" + k + "-fixed", "data-v": v.counts[k].fixed } },
            { text: v.counts[k].open, attrs: { "class": "num", "data-k": "cve-" + k + "-open", "data-v": v.counts[k].open } }]);
        })));
      if (v.suppressed) add(p, el("p", { "class": "muted" }, v.suppressed + " suppressed by VEX or the ignore file"));
    }
    add(p, el("h2", null, "Audit findings by severity"));
    add(p, table([{ label: "Severity" }, { label: "Findings", num: 1 }], FSEV.map(function (k) {
      return row([sevCell(k), { text: im.audit.counts[k], attrs: { "class": "num", "data-k": "audit-" + k, "data-v": im.audit.counts[k] } }]);
    })));
    if (s.cudaLibraries.length) {
      add(p, el("h2", null, "CUDA and NVIDIA libraries"));
      var ul = add(p, el("ul", { "class": "plain", id: "cuda-libraries" }));
      s.cudaLibraries.forEach(function (l) { add(add(ul, el("li")), el("span", { "class": "mono" }, l.name + " " + l.version), el("span", { "class": "tag" }, "CUDA")); });
    }
    if (data.warnings.length) {
      add(p, el("h2", null, "Warnings"));
      var w = add(p, el("ul", { "class": "plain" }));
      data.warnings.forEach(function (t) { add(w, el("li", null, t)); });
    }
  }

  // ---- composition: a treemap zoomed by click or Enter, out by Escape or Backspace
  var zoom = [];
  function renderComposition(im) {
    var p = panels.composition; p.textContent = "";
    zoom = [im.tree];
    add(p, el("h2", null, "Composition"));
    add(p, el("p", { "class": "muted" }, "The final file system by size: layer, package, folder, file. Click a box or press Enter on it to zoom in; Escape or Backspace zooms out. CUDA libraries are green."));
    add(p, el("div", { "class": "crumbs", id: "crumbs", "aria-live": "polite" }));
    add(p, el("div", { "class": "treemap", id: "treemap", role: "group", "aria-label": "Treemap", tabindex: "-1" }));
    add(p, el("h2", null, "Layers"));
    add(p, table([{ label: "#" }, { label: "Created by" }, { label: "Files", num: 1 }, { label: "Size", num: 1 }, { label: "Stored", num: 1 }, { label: "Largest packages" }],
      im.layers.map(function (l) {
        return row([l.index, { text: l.createdBy || "", attrs: { "class": "mono" } }, { text: l.files, attrs: { "class": "num" } },
          { text: bytes(l.size), attrs: { "class": "num", title: l.size + " bytes" } }, { text: bytes(l.compressedSize), attrs: { "class": "num" } },
          l.topPackages.map(function (t) { return t.name + " (" + bytes(t.size) + ")"; }).join(", ")]);
      }), { id: "layers-table" }));
  }
  function zoomOut() { zoom.pop(); drawTreemap(); focusFirstCell(); }
  function zoomIn(node) { if (!node.children || !node.children.length) return; zoom.push(node); drawTreemap(); focusFirstCell(); }
  function focusFirstCell() { var c = document.querySelector("#treemap .cell"); if (c) c.focus(); else document.getElementById("treemap").focus(); }
  function drawTreemap() {
    var tm = document.getElementById("treemap"), crumbs = document.getElementById("crumbs");
    if (!tm || tm.closest("[hidden]")) return;
    var focus = zoom[zoom.length - 1];
    crumbs.textContent = "";
    zoom.forEach(function (n, i) {
      if (i) add(crumbs, el("span", { "class": "muted" }, "›"));
      var b = add(crumbs, el("button", { type: "button", "class": "btn", "aria-current": i === zoom.length - 1 ? "true" : null }, n.name + " (" + bytes(n.size) + ")"));
      b.addEventListener("click", function () { zoom = zoom.slice(0, i + 1); drawTreemap(); });
    });
    tm.textContent = "";
    tm.setAttribute("data-zoom", focus.name);
    tm.setAttribute("data-depth", String(zoom.length - 1));
    var w = tm.clientWidth, h = tm.clientHeight;
    if (!w || !h || !focus.children) return;
    // Two levels: the focus's children, and theirs drawn inside them.
    var root = d3.hierarchy(focus);
    root.each(function (d) { if (d.depth >= 2) d.children = undefined; });
    root.eachAfter(function (d) {
      d.value = d.children ? d.children.reduce(function (n, c) { return n + c.value; }, 0) : d.data.size;
    });
    root.sort(function (a, b) { return b.value - a.value; });
    d3.treemap().size([w, h]).paddingInner(1).paddingTop(function (d) { return d.depth === 1 ? 16 : 0; }).round(true)(root);
    // Caps on boxes drawn, so a huge level cannot stall the page; the boxes are largest first.
    var drawn = 0, subs = 0;
    (root.children || []).forEach(function (c) {
      var cw = c.x1 - c.x0, ch = c.y1 - c.y0;
      if (cw < 3 || ch < 3 || drawn > 600) return;
      drawn++;
      var leaf = !c.data.children || !c.data.children.length;
      var cell = add(tm, el("div", {
        "class": "cell" + (c.data.cuda ? " cuda" : "") + (leaf ? " leaf" : ""), role: "button", tabindex: "0",
        "data-name": c.data.name, "data-kind": c.data.kind, "data-size": c.data.size,
        "aria-label": c.data.name + ", " + bytes(c.data.size) + (c.data.cuda ? ", CUDA" : "") + (leaf ? "" : ", press Enter to zoom in"),
        style: "left:" + c.x0 + "px;top:" + c.y0 + "px;width:" + cw + "px;height:" + ch + "px"
      }));
      add(cell, el("span", { "class": "label" }, c.data.name + " · " + bytes(c.data.size)));
      (c.children || []).forEach(function (g) {
        var gw = g.x1 - g.x0, gh = g.y1 - g.y0;
        if (gw < 2 || gh < 2 || subs > 1500) return;
        subs++;
        var sub = add(cell, el("div", { "class": g.data.cuda ? "sub cuda" : "sub", title: g.data.name + " · " + bytes(g.data.size),
          style: "left:" + (g.x0 - c.x0) + "px;top:" + (g.y0 - c.y0) + "px;width:" + gw + "px;height:" + gh + "px" }));
        if (gw > 60 && gh > 14) add(sub, el("span", { "class": "label" }, g.data.name));
      });
      cell.addEventListener("click", function () { zoomIn(c.data); });
      cell.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); zoomIn(c.data); }
      });
    });
  }
  window.addEventListener("resize", function () { drawTreemap(); });
  // On the document, so the key works wherever focus was left when a redraw replaced the boxes;
  // never while typing in a field.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" && e.key !== "Backspace") return;
    if (panels.composition.hasAttribute("hidden") || zoom.length < 2) return;
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName || "")) return;
    e.preventDefault();
    zoomOut();
  });

  // ---- vulnerabilities: filter by text and severity, sort by any column
  var vsort = { col: 0, dir: 1 };
  function renderVulns(im) {
    var p = panels.vulnerabilities; p.textContent = "";
    var v = im.vulnerabilities;
    add(p, el("h2", null, "Vulnerabilities"));
    if (!v.scanned) { add(p, el("p", { "class": "muted" }, "Not scanned: " + v.reason)); return; }
    add(p, el("p", { "class": "muted" }, "Debian " + v.release + (data.database ? " · data: " + data.database.format + " from " + data.database.source : "")));
    var controls = add(p, el("div", { "class": "controls" }));
    var filter = add(controls, el("input", { type: "search", id: "cve-filter", placeholder: "Filter: CVE, package, text", "aria-label": "Filter vulnerabilities" }));
    var sev = add(controls, el("select", { id: "cve-severity", "aria-label": "Severity" }));
    add(sev, el("option", { value: "" }, "all severities"));
    SEV.forEach(function (s) { add(sev, el("option", { value: s }, s)); });
    var status = add(controls, el("select", { id: "cve-status", "aria-label": "Status" }));
    [["", "any status"], ["fixed", "fixed"], ["open", "open"], ["wont-fix", "won't fix"]].forEach(function (o) { add(status, el("option", { value: o[0] }, o[1])); });
    var count = add(controls, el("span", { "class": "muted", id: "cve-count", "aria-live": "polite" }));
    var cols = [
      { label: "Severity", key: function (f) { return SEV.indexOf(f.severity); } },
      { label: "ID", key: function (f) { return f.id; } },
      { label: "Package", key: function (f) { return f.package; } },
      { label: "Installed", key: function (f) { return f.installed; } },
      { label: "Fixed in", key: function (f) { return f.fixedVersion || ""; } },
      { label: "Status", key: function (f) { return f.status; } },
      { label: "KEV", key: function (f) { return f.kev === undefined ? "" : String(f.kev); } },
      { label: "Description", key: function (f) { return f.description; } }
    ];
    var wrap = table(cols, [], { id: "cve-table", sort: function (i) {
      vsort = { col: i, dir: vsort.col === i ? -vsort.dir : 1 }; draw();
    } });
    add(p, wrap);
    var tbody = wrap.querySelector("tbody");
    function draw() {
      var q = filter.value.trim().toLowerCase();
      var rows = v.findings.filter(function (f) {
        if (sev.value && f.severity !== sev.value) return false;
        if (status.value && f.status !== status.value) return false;
        return !q || (f.id + " " + f.package + " " + f.description + " " + f.installed).toLowerCase().indexOf(q) >= 0;
      });
      var key = cols[vsort.col].key;
      rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * vsort.dir; });
      wrap.querySelectorAll("th").forEach(function (th, i) {
        th.setAttribute("aria-sort", i === vsort.col ? (vsort.dir > 0 ? "ascending" : "descending") : "none");
      });
      tbody.textContent = "";
      rows.forEach(function (f) {
        tbody.appendChild(row([sevCell(f.severity), link(f.url, f.id), f.package, { text: f.installed, attrs: { "class": "mono" } },
          { text: f.fixedVersion || "—", attrs: { "class": "mono" } }, f.status, f.kev === undefined ? "—" : f.kev ? "yes" : "no", f.description]));
      });
      count.textContent = rows.length + " of " + v.findings.length;
    }
    filter.addEventListener("input", draw); sev.addEventListener("change", draw); status.addEventListener("change", draw);
    draw();
  }

  // ---- audit, lint
  function findingsTable(rows, id) {
    if (!rows.length) return el("p", { "class": "muted", id: id }, "No findings.");
    return table([{ label: "Severity" }, { label: "Rule" }, { label: "Where" }, { label: "What" }, { label: "Fix" }],
      rows.map(function (f) {
        var what = el("div"); add(what, el("strong", null, f.title)); add(what, el("div", null, f.message));
        return row([sevCell(f.severity), { text: f.id, attrs: { "class": "mono" } }, { text: f.where || "", attrs: { "class": "mono" } }, what, f.fix]);
      }), { id: id });
  }
  function renderAudit(im) {
    var p = panels.audit; p.textContent = "";
    add(p, el("h2", null, "Audit findings"));
    add(p, findingsTable(im.audit.findings, "audit-table"));
    if (data.lint) {
      add(p, el("h2", null, "Lint findings: " + data.lint.path));
      add(p, findingsTable(data.lint.findings, "lint-table"));
    }
  }

  // ---- licences
  function renderLicences(im) {
    var p = panels.licences; p.textContent = "";
    add(p, el("h2", null, "Licences"));
    var max = Math.max.apply(null, im.licenses.map(function (l) { return l.packages; }).concat([1]));
    add(p, table([{ label: "Licence" }, { label: "Packages", num: 1 }, { label: "Size", num: 1 }, { label: "" }],
      im.licenses.map(function (l) {
        var bar = el("div", { "class": "bar", style: "width:" + Math.round(100 * l.packages / max) + "%" });
        return row([{ text: l.license, attrs: { "class": "mono" } }, { text: l.packages, attrs: { "class": "num" } }, { text: bytes(l.size), attrs: { "class": "num" } }, bar]);
      }), { id: "licence-table" }));
  }

  // ---- compare: side by side
  function renderCompare() {
    var p = panels.compare, c = data.compare, a = data.images[0], b = data.images[1];
    add(p, el("h2", null, "Side by side"));
    var measures = [["compressedSize", "Compressed size", bytes], ["uncompressedSize", "Uncompressed size", bytes],
      ["files", "Files", String], ["packages", "Packages", String], ["layers", "Layers", String]];
    var rows = [];
    measures.forEach(function (m) {
      var max = Math.max(a.stats[m[0]], b.stats[m[0]], 1);
      [a, b].forEach(function (im, i) {
        var cell = el("div"); add(cell, el("div", { "class": "bar", style: "width:" + Math.round(100 * im.stats[m[0]] / max) + "%;" + (i ? "background:var(--muted)" : "") }));
        rows.push(row([i ? "" : m[1], { text: im.ref, attrs: { "class": "mono" } },
          { text: m[2](im.stats[m[0]]), attrs: { "class": "num", "data-k": "cmp-" + m[0] + "-" + i, "data-v": im.stats[m[0]] } }, cell]));
      });
    });
    var bars = table([{ label: "Measure" }, { label: "Image" }, { label: "Value", num: 1 }, { label: "" }], rows, { id: "compare-bars" });
    bars.querySelector("table").classList.add("bars");
    add(p, bars);
    add(p, el("p", null, a.ref + " is " + bytes(Math.abs(c.compressedSize)) + (c.compressedSize <= 0 ? " smaller" : " larger") + " compressed and has " + Math.abs(c.files) + (c.files <= 0 ? " fewer" : " more") + " files than " + b.ref + "."));
    add(p, el("h2", null, "Hardening checklist"));
    add(p, table([{ label: "Check" }, { label: a.ref }, { label: b.ref }], c.checklist.map(function (it) {
      return row([it.check].concat(it.pass.map(function (ok, i) {
        var s = el("span"); add(s, el("span", { "class": ok ? "pass" : "fail" }, ok ? "✓ pass " : "✗ fail ")); add(s, el("span", { "class": "muted" }, it.found[i]));
        return s;
      })));
    }), { id: "checklist" }));
    add(p, el("h2", null, "CVEs"));
    if (!c.cves) add(p, el("p", { "class": "muted" }, "Not compared: one image or both were not scanned."));
    else add(p, table([{ label: "Severity" }, { label: a.ref, num: 1 }, { label: b.ref, num: 1 }, { label: "Delta", num: 1 }],
      SEV.map(function (s) {
        return row([sevCell(s), { text: a.stats.cves[s], attrs: { "class": "num" } }, { text: b.stats.cves[s], attrs: { "class": "num" } },
          { text: signed(c.cves[s]), attrs: { "class": "num", "data-k": "cve-delta-" + s, "data-v": c.cves[s] } }]);
      }), { id: "cve-delta" }));
    add(p, el("h2", null, "Packages"));
    var cols = add(p, el("div", { "class": "cols" }));
    function list(title, items, text, id) {
      var box = add(cols, el("div"));
      add(box, el("h3", null, title + " (" + items.length + ")"));
      var ul = add(box, el("ul", { "class": "plain mono", id: id }));
      items.slice(0, 300).forEach(function (x) { add(ul, el("li", null, text(x))); });
      if (items.length > 300) add(ul, el("li", { "class": "muted" }, (items.length - 300) + " more in --json"));
    }
    list("Only in " + a.ref, c.packages.added, function (x) { return x.name + " " + x.version; }, "pkg-added");
    list("Only in " + b.ref, c.packages.removed, function (x) { return x.name + " " + x.version; }, "pkg-removed");
    list("Other version", c.packages.changed, function (x) { return x.name + " " + x.from + " → " + x.to; }, "pkg-changed");
  }

  renderImage();
  if (data.compare) renderCompare();
  var start = location.hash.slice(1);
  show(panels[start] ? start : "summary");
  // Milliseconds from navigation to a rendered page, for the tests to record.
  document.documentElement.setAttribute("data-render-ms", String(Math.round(performance.now())));
  document.documentElement.setAttribute("data-ready", "true");
})();
`;
