// tailsim report: sorting, point selection and hover read-outs.
// The charts are drawn by tailsim (SVG); this script only shows, hides and
// highlights them, and reads values from their data attributes.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const byIndex = new Map(DATA.points.map((p) => [p.index, p]));

  // --- Sorting -----------------------------------------------------------
  function sortValue(cell) {
    return cell ? cell.dataset.v ?? cell.textContent : "";
  }
  function sortTable(table, column, th) {
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const descending = th.getAttribute("aria-sort") === "ascending";
    const values = rows.map((r) => sortValue(r.cells[column]));
    const numeric = values.every((v) => v !== "" && v !== "-" && !isNaN(Number(v)));
    const order = rows.map((r, i) => i);
    order.sort((a, b) => {
      const x = values[a], y = values[b];
      let c;
      if (numeric) c = Number(x) - Number(y);
      else {
        const nx = Number(x), ny = Number(y);
        const xn = x !== "-" && x !== "" && !isNaN(nx), yn = y !== "-" && y !== "" && !isNaN(ny);
        c = xn && yn ? nx - ny : xn ? -1 : yn ? 1 : String(x).localeCompare(String(y));
      }
      return (descending ? -c : c) || a - b;
    });
    for (const h of table.tHead.rows[0].cells) h.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    for (const i of order) body.appendChild(rows[i]);
  }
  for (const table of document.querySelectorAll("table.sortable")) {
    Array.from(table.tHead.rows[0].cells).forEach((th, column) => {
      th.addEventListener("click", () => sortTable(table, column, th));
    });
  }

  // --- Selecting a point -------------------------------------------------
  function select(index, scroll) {
    const p = byIndex.get(index);
    if (!p) return;
    document.getElementById("selected-label").textContent = p.label;
    for (const row of document.querySelectorAll("tr[data-point]")) {
      row.setAttribute("aria-selected", String(Number(row.dataset.point) === index));
    }
    for (const block of document.querySelectorAll(".per-point > [data-point]")) {
      block.hidden = Number(block.dataset.point) !== index;
    }
    for (const el of document.querySelectorAll("svg [data-point]")) {
      el.classList.toggle("on", Number(el.dataset.point) === index);
    }
    for (const t of document.querySelectorAll(".topo")) {
      const shown = Number(t.dataset.topology) === p.topology;
      t.hidden = !shown;
      if (!shown) continue;
      for (const node of t.querySelectorAll("[data-node]")) {
        const f = p.nodes[node.dataset.node];
        for (const c of Array.from(node.classList)) if (c.startsWith("level-")) node.classList.remove(c);
        if (!f) continue;
        node.classList.add("level-" + f.level);
        const stat = node.querySelector(".node-stat");
        if (stat) stat.textContent = f.stat;
        const title = node.querySelector("title");
        if (title) title.textContent = f.title;
      }
      for (const edge of t.querySelectorAll("[data-edge]")) {
        const label = edge.querySelector(".edge-label");
        if (label) label.textContent = p.edges[edge.dataset.edge] ?? "";
      }
    }
    if (history.replaceState) history.replaceState(null, "", "#point=" + index);
    if (scroll) document.getElementById("selected").scrollIntoView({ block: "start" });
  }
  for (const row of document.querySelectorAll("tr[data-point]")) {
    const index = Number(row.dataset.point);
    row.addEventListener("click", () => select(index, false));
    row.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select(index, false);
      } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const next = ev.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
        if (next) {
          next.focus();
          select(Number(next.dataset.point), false);
        }
      }
    });
  }
  const fromHash = /point=(\d+)/.exec(location.hash);
  select(fromHash && byIndex.has(Number(fromHash[1])) ? Number(fromHash[1]) : DATA.points[0].index, false);

  // --- Hover read-outs ---------------------------------------------------
  const numbers = (text) => (text ? text.split(" ").map((v) => (v === "-" ? NaN : Number(v))) : []);
  function fromAxis(scale, t) {
    if (scale === "log") return Math.pow(10, t);
    if (scale === "invq") return 1 - Math.pow(10, -t);
    return t;
  }
  function fmt(v) {
    if (!isFinite(v)) return "-";
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return String(Number(v.toPrecision(4)));
  }
  function xText(panel, t) {
    const f = panel.dataset.xf;
    if (f === "cat") {
      const cats = (panel.dataset.cats || "").split("|");
      return cats[Math.round(t)] ?? "";
    }
    const v = fromAxis(panel.dataset.xs, t);
    if (f === "pct") return "p" + String(Number((v * 100).toPrecision(6)));
    return panel.dataset.xl + ": " + fmt(v);
  }
  function colorOf(series) {
    const mark = series.querySelector(".line, .dot, .bar");
    if (!mark) return "currentColor";
    const style = getComputedStyle(mark);
    return mark.classList.contains("line") ? style.stroke : style.fill;
  }
  function readout(figure, svg, ev) {
    const box = figure.querySelector(".readout");
    const ctm = svg.getScreenCTM();
    if (!ctm || !box) return;
    const pt = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
    const panels = svg.querySelectorAll(".panel");
    const height = svg.viewBox.baseVal.height / Math.max(panels.length, 1);
    const panel = panels[Math.floor(pt.y / height)];
    for (const g of svg.querySelectorAll(".guide")) g.remove();
    if (!panel || !panel.dataset.xa) { box.hidden = true; return; }
    const [left, width, lo, hi] = panel.dataset.xa.split(" ").map(Number);
    if (pt.x < left || pt.x > left + width) { box.hidden = true; return; }
    const t = lo + ((pt.x - left) / width) * (hi - lo);
    let shared = numbers(panel.dataset.x);
    if (panel.dataset.xr) {
      const [x0, dx, n] = panel.dataset.xr.split(" ").map(Number);
      shared = Array.from({ length: n }, (_, k) => x0 + k * dx);
    }
    // Of several points' lines, the selected point's.
    const series = Array.from(panel.querySelectorAll(".series")).filter(
      (s) => !s.closest("[hidden]") && (s.dataset.point === undefined || s.classList.contains("on")),
    );
    const rows = [];
    let nearest = null;
    for (const s of series) {
      const xs = s.dataset.x ? numbers(s.dataset.x) : shared;
      const ys = numbers(s.dataset.y), es = numbers(s.dataset.e);
      let best = -1;
      xs.forEach((x, k) => {
        if (isFinite(x) && isFinite(ys[k]) && (best < 0 || Math.abs(x - t) < Math.abs(xs[best] - t))) best = k;
      });
      if (best < 0) continue;
      if (nearest === null || Math.abs(xs[best] - t) < Math.abs(nearest - t)) nearest = xs[best];
      const err = isFinite(es[best]) ? " ± " + fmt(es[best]) : "";
      rows.push([colorOf(s), s.dataset.label, fmt(ys[best]) + err, xs[best]]);
    }
    if (!rows.length) { box.hidden = true; return; }
    box.replaceChildren();
    const head = document.createElement("div");
    head.className = "head";
    head.textContent = xText(panel, nearest);
    box.appendChild(head);
    for (const [color, label, value, x] of rows) {
      if (!panel.dataset.x && !panel.dataset.xr && Math.abs(x - nearest) > Math.abs(hi - lo) / 50) continue;
      const line = document.createElement("div");
      const key = document.createElement("span");
      key.className = "key";
      key.style.background = color;
      line.append(key, label + ": " + value);
      box.appendChild(line);
    }
    const guide = document.createElementNS("http://www.w3.org/2000/svg", "line");
    const gx = left + ((nearest - lo) / (hi - lo)) * width;
    const frame = panel.querySelector(".frame");
    guide.setAttribute("class", "guide");
    guide.setAttribute("x1", gx);
    guide.setAttribute("x2", gx);
    guide.setAttribute("y1", frame ? frame.getAttribute("y") : 0);
    guide.setAttribute("y2", frame ? Number(frame.getAttribute("y")) + Number(frame.getAttribute("height")) : height);
    panel.appendChild(guide);
    const r = figure.getBoundingClientRect();
    box.hidden = false;
    const x = ev.clientX - r.left + 14, y = ev.clientY - r.top + 14;
    box.style.left = Math.min(x, r.width - box.offsetWidth - 4) + "px";
    box.style.top = y + "px";
  }
  for (const figure of document.querySelectorAll("figure.chart-figure")) {
    figure.addEventListener("mousemove", (ev) => {
      const svg = ev.target.closest && ev.target.closest("svg.chart");
      const box = figure.querySelector(".readout");
      if (!svg) { if (box) box.hidden = true; return; }
      readout(figure, svg, ev);
    });
    figure.addEventListener("mouseleave", () => {
      const box = figure.querySelector(".readout");
      if (box) box.hidden = true;
      for (const g of figure.querySelectorAll(".guide")) g.remove();
    });
  }
})();
