// Builds the front end into ../assets: app.js, report.js, app.css, index.html
// and favicon.svg. The output is deterministic (no timestamps, no absolute
// paths), so CI can rebuild it and compare with what is committed.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const out = "../assets";
mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
};
await esbuild.build({ ...common, entryPoints: { app: "src/app.ts" }, outdir: out });
await esbuild.build({ ...common, entryPoints: { report: "src/report.ts" }, outdir: out });
// The report imports the same style sheet: keep one copy, app.css.
rmSync(`${out}/report.css`, { force: true });
for (const f of ["index.html", "favicon.svg"]) copyFileSync(`static/${f}`, `${out}/${f}`);
// A license notice for the bundled uPlot (MIT) travels with the bundle.
writeFileSync(`${out}/THIRD_PARTY_LICENSES.txt`,
  "uPlot (https://github.com/leeoniya/uPlot)\n\n" + readFileSync("node_modules/uplot/LICENSE", "utf8"));

let total = 0, gz = 0;
for (const f of ["app.js", "report.js", "app.css", "index.html"]) {
  const b = readFileSync(`${out}/${f}`);
  total += b.length; gz += gzipSync(b).length;
  console.log(`${f.padEnd(12)} ${String(b.length).padStart(7)} bytes, ${String(gzipSync(b).length).padStart(6)} gzipped`);
}
console.log(`${"total".padEnd(12)} ${String(total).padStart(7)} bytes, ${String(gz).padStart(6)} gzipped`);
