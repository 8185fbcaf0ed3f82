// Drives headless Chromium (Debian's /usr/bin/chromium) with playwright-core
// against tailsim's report.html pages and checks what a person would:
//   node tests/browser/check_report.mjs PAGES.json
// PAGES.json lists { name, html, nodes, screenshot } (nodes: the model's
// component names). PLAYWRIGHT_DIR is a folder whose node_modules holds
// playwright-core (tests/integration/report.rs installs it). For each page
// it checks that:
//   - it loads with no console errors and makes no network request;
//   - the points table sorts (numbers and names, both ways);
//   - selecting a point updates the charts, the details and the topology;
//   - the topology has one node per component;
//   - hovering a chart shows a read-out;
//   - text stays readable in light and dark mode;
// then saves screenshots. It prints one JSON line per page with the load
// timings, and exits 1 listing every failed check.
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(join(process.env.PLAYWRIGHT_DIR || ".", "package.json"));
const { chromium } = require("playwright-core");

const pages = JSON.parse(readFileSync(process.argv[2], "utf8"));
const failures = [];
const check = (name, ok, what) => {
  if (!ok) failures.push(`${name}: ${what}`);
};

const profile = mkdtempSync(join(tmpdir(), "tailsim-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

// WCAG contrast ratio of two CSS colours (rgb()/rgba() as computed).
function luminance(css) {
  const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a, b) => {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};

async function colours(page) {
  return page.evaluate(() => {
    const body = getComputedStyle(document.body);
    const svg = document.querySelector("#timeseries svg.chart");
    const text = svg.querySelector("text");
    const bg = svg.querySelector("rect.bg");
    const node = document.querySelector(".topo:not([hidden]) .node-name");
    const box = document.querySelector(".topo:not([hidden]) .node-box");
    return {
      page: [body.color, body.backgroundColor],
      chart: [getComputedStyle(text).fill, getComputedStyle(bg).fill],
      node: [getComputedStyle(node).fill, getComputedStyle(box).fill],
    };
  });
}

for (const spec of pages) {
  const name = spec.name;
  const page = await context.newPage();
  const url = pathToFileURL(spec.html).href;
  const errors = [];
  const requests = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(url, { waitUntil: "load" });

  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    return {
      dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
      load_ms: Math.round(nav.loadEventEnd),
      first_contentful_paint_ms: paint ? Math.round(paint.startTime) : null,
      resources: performance.getEntriesByType("resource").length,
    };
  });
  check(name, timing.resources === 0, `the page loaded ${timing.resources} resources`);

  // The table sorts: by p99, both ways, and by the first parameter.
  const table = page.locator("table.points");
  const headers = await table.locator("thead th").allTextContents();
  const column = (label) => headers.findIndex((h) => h.replace(/[▲▼]/g, "").trim() === label);
  const values = (col) =>
    table.locator("tbody tr").evaluateAll((rows, c) => rows.map((r) => r.cells[c].dataset.v), col);
  const p99 = column("p99 ms");
  check(name, p99 >= 0, `no p99 column in ${JSON.stringify(headers)}`);
  const before = await values(p99);
  await table.locator("thead th").nth(p99).click();
  const up = (await values(p99)).map(Number);
  check(name, up.every((v, i) => i === 0 || up[i - 1] <= v), `p99 not ascending after one click: ${up}`);
  check(name, (await table.locator("thead th").nth(p99).getAttribute("aria-sort")) === "ascending", "aria-sort");
  await table.locator("thead th").nth(p99).click();
  const down = (await values(p99)).map(Number);
  check(name, down.every((v, i) => i === 0 || down[i - 1] >= v), `p99 not descending after two clicks: ${down}`);
  check(name, new Set(before).size < 2 || JSON.stringify(up) !== JSON.stringify(down), "sorting changed nothing");
  if (headers[1] && !["reps"].includes(headers[1].trim())) {
    await table.locator("thead th").nth(1).click();
    const first = await values(1);
    const numeric = first.every((v) => !isNaN(Number(v)));
    const sorted = [...first].sort((a, b) => (numeric ? Number(a) - Number(b) : a.localeCompare(b)));
    check(name, JSON.stringify(first) === JSON.stringify(sorted), `first parameter not sorted: ${first}`);
  }

  // Selecting a point updates what depends on it.
  const state = () =>
    page.evaluate(() => {
      const shown = (sel) => Array.from(document.querySelectorAll(sel)).filter((e) => !e.hidden).map((e) => e.dataset.point);
      // The points whose lines are drawn (displayed) in a figure.
      const drawn = (sel) => [
        ...new Set(
          Array.from(document.querySelectorAll(`${sel} .series[data-point]`))
            .filter((e) => getComputedStyle(e).display !== "none" && e.getBoundingClientRect().width > 0)
            .map((e) => e.dataset.point),
        ),
      ];
      const topo = document.querySelector(".topo:not([hidden])");
      return {
        label: document.getElementById("selected-label").textContent,
        ts: drawn("#timeseries"),
        details: shown("#details > [data-point]"),
        utilisation: drawn("#utilisation"),
        tsSvg: Array.from(document.querySelectorAll("#timeseries .series.on polyline"))
          .map((l) => l.getAttribute("points"))
          .join("|"),
        marks: Array.from(document.querySelectorAll("#latency .mark.on")).map((m) => m.dataset.point),
        spectrum: Array.from(document.querySelectorAll("#spectrum .series.on")).map((m) => m.dataset.point),
        stats: Array.from(topo.querySelectorAll(".node-stat, .edge-label")).map((t) => t.textContent).join("|"),
        nodes: Array.from(topo.querySelectorAll("[data-node]")).map((n) => n.dataset.node).sort(),
        levels: Array.from(topo.querySelectorAll("[data-node]")).map((n) => n.getAttribute("class")).join("|"),
      };
    });
  const start = await state();
  const data = await page.evaluate(() => JSON.parse(document.getElementById("report-data").textContent));
  const figures = (i) => {
    const p = data.points.find((q) => String(q.index) === i);
    const nodes = Object.entries(p.nodes).map(([n, f]) => [n, f.stat, f.level]);
    return JSON.stringify([nodes, p.edges]);
  };
  const rows = await table.locator("tbody tr").evaluateAll((rs) => rs.map((r) => r.dataset.point));
  // Another point, one whose topology figures differ where there is one.
  const others = rows.filter((p) => p !== start.ts[0]);
  const target = others.find((p) => figures(p) !== figures(start.ts[0])) ?? others[0];
  check(name, target !== undefined, "only one point to select");
  if (target !== undefined) {
    await table.locator(`tbody tr[data-point="${target}"]`).click();
    const after = await state();
    const expected = data.points.find((p) => String(p.index) === target);
    check(name, after.label === expected.label && after.label !== start.label, `label ${after.label}`);
    for (const part of ["ts", "details", "utilisation"]) {
      check(name, JSON.stringify(after[part]) === JSON.stringify([target]), `${part} shows ${after[part]}, not ${target}`);
    }
    check(name, after.tsSvg !== start.tsSvg, "the time series did not change");
    check(name, JSON.stringify(after.spectrum) === JSON.stringify([target]), `spectrum highlights ${after.spectrum}`);
    const hasLatency = (await page.locator("#latency svg").count()) > 0;
    if (hasLatency) check(name, JSON.stringify(after.marks) === JSON.stringify([target]), `latency marks ${after.marks}`);
    if (figures(target) !== figures(start.ts[0])) {
      check(name, after.stats !== start.stats || after.levels !== start.levels, "the topology did not change");
    }
    const shown = await page.evaluate(() => {
      const topo = document.querySelector(".topo:not([hidden])");
      return {
        nodes: Array.from(topo.querySelectorAll("[data-node]")).map((n) => [
          n.dataset.node,
          n.querySelector(".node-stat").textContent,
          n.getAttribute("class"),
        ]),
        edges: Array.from(topo.querySelectorAll("[data-edge]")).map((e) => [
          e.dataset.edge,
          e.querySelector(".edge-label").textContent,
        ]),
      };
    });
    for (const [node, text, classes] of shown.nodes) {
      const want = expected.nodes[node];
      check(name, want && want.stat === text, `node ${node} shows "${text}"`);
      check(name, want && classes.includes("level-" + want.level), `node ${node} is coloured "${classes}"`);
    }
    for (const [edge, text] of shown.edges) {
      check(name, expected.edges[edge] === text && /\/s$/.test(text), `edge ${edge} says "${text}"`);
    }
    check(name, (await page.evaluate(() => location.hash)) === `#point=${target}`, "the address names the point");
  }

  // One topology node per component.
  const nodes = (await state()).nodes;
  const want = [...spec.nodes].sort();
  check(name, JSON.stringify(nodes) === JSON.stringify(want), `topology nodes ${nodes}, want ${want}`);

  // Hovering the time series reads values out.
  const chart = page.locator("#timeseries svg.chart").first();
  await chart.scrollIntoViewIfNeeded();
  const box = await chart.boundingBox();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.12);
  const readout = page.locator("#timeseries .readout");
  check(name, await readout.isVisible(), "no read-out on hover");
  const text = await readout.textContent();
  check(name, /answered: [\d.]+/.test(text) && /simulated time/.test(text), `read-out says "${text}"`);
  await page.mouse.move(0, 0);

  // Readable in both schemes.
  const light = await colours(page);
  await page.emulateMedia({ colorScheme: "dark" });
  const dark = await colours(page);
  for (const [scheme, c] of [["light", light], ["dark", dark]]) {
    for (const part of ["page", "chart", "node"]) {
      const ratio = contrast(c[part][0], c[part][1]);
      check(name, ratio >= 4.5, `${scheme} ${part} contrast ${ratio.toFixed(2)} (${c[part]})`);
    }
  }
  check(name, light.page[1] !== dark.page[1] && light.chart[1] !== dark.chart[1], "dark mode changed nothing");
  await page.screenshot({ path: spec.screenshot.replace(/\.png$/, "-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: spec.screenshot, fullPage: true });

  check(name, errors.length === 0, `console errors: ${errors.join("; ")}`);
  check(name, requests.length === 0, `network requests: ${requests.join(", ")}`);
  const bytes = statSync(spec.html).size;
  console.log(JSON.stringify({ page: name, bytes, ...timing }));
  await page.close();
}

await context.close();
rmSync(profile, { recursive: true, force: true });
if (failures.length) {
  console.error("report checks failed:\n  " + failures.join("\n  "));
  process.exit(1);
}
console.log(`${pages.length} reports checked`);
