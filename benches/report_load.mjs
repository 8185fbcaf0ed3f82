// How long report.html pages take to open in headless Chromium:
//   PLAYWRIGHT_DIR=target/test-deps/npm-playwright node benches/report_load.mjs PAGE.html... [--runs N]
// For each page, N times in a fresh tab: the navigation timing's
// DOMContentLoaded and load events, first contentful paint (when Chromium
// reports it), and the wall time from navigation until the first frame after
// the load event has been drawn. Prints one line per page with the median
// and the worst run. A benchmark, not a test: nothing is asserted.
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(join(process.env.PLAYWRIGHT_DIR || ".", "package.json"));
const { chromium } = require("playwright-core");

const args = process.argv.slice(2);
const at = args.indexOf("--runs");
const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 5;
const profile = mkdtempSync(join(tmpdir(), "tailsim-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// One warm-up load, so the first measured run does not pay for starting
// the renderer.
const warm = await context.newPage();
await warm.goto(pathToFileURL(resolve(args[0])).href, { waitUntil: "load" });
await warm.close();
for (const file of args) {
  const url = pathToFileURL(resolve(file)).href;
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const page = await context.newPage();
    const start = Date.now();
    await page.goto(url, { waitUntil: "load" });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const frame = Date.now() - start;
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const paint = performance.getEntriesByName("first-contentful-paint")[0];
      return { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: paint ? paint.startTime : NaN };
    });
    samples.push({ ...t, frame });
    await page.close();
  }
  const pick = (k) => samples.map((s) => s[k]).filter((v) => Number.isFinite(v));
  const show = (k) => {
    const v = pick(k);
    return v.length ? `${Math.round(median(v))} ms (worst ${Math.round(Math.max(...v))})` : "not reported";
  };
  const kib = (statSync(file).size / 1024).toFixed(0);
  console.log(
    `${file}: ${kib} KiB; DOMContentLoaded ${show("dcl")}, load ${show("load")}, ` +
      `first contentful paint ${show("fcp")}, first frame after load ${show("frame")} (${runs} runs)`,
  );
}
await context.close();
rmSync(profile, { recursive: true, force: true });
