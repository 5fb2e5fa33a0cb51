// Bundle every js/widgets/*.ts into src/interplay/static/<name>.js: one self-contained ES module
// per widget (anywidget's `_esm`), minified, no CDN imports. Fails if an entry exceeds the budget.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { build } from "esbuild";

const SRC = "js/widgets";
const OUT = "src/interplay/static";
const BUDGET = 150 * 1024;

const entries = readdirSync(SRC)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => join(SRC, f));
// the runtime of exported HTML files (view.to_html): inlined into each file, not a widget
entries.push("js/export/export_page.ts");
if (entries.length === 0) {
  console.error(`build: no entries in ${SRC}/`);
  process.exit(1);
}

// d3-scale-chromatic ships one file whose top-level `var scheme = new Array(3).concat(...)` and
// `var X = ramp(...)` calls esbuild cannot prove pure, so every colour scheme would be bundled.
// Marking those initialisers pure lets esbuild drop the ones we do not import (~9 KB). If the
// file's layout ever changes, the regex simply matches nothing and the bundle is only larger.
const pureD3Schemes = {
  name: "pure-d3-scale-chromatic",
  setup(b) {
    b.onLoad({ filter: /d3-scale-chromatic[\\/]dist[\\/][^\\/]+\.mjs$/ }, (args) => ({
      contents: readFileSync(args.path, "utf8").replace(/^(var [\w$]+ = )(?!function)/gm, "$1/* @__PURE__ */ "),
      loader: "js",
    }));
  },
};

await build({
  plugins: [pureD3Schemes],
  entryPoints: entries.map((e) => ({ in: e, out: basename(e, ".ts") })),
  outdir: OUT,
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  platform: "browser",
  legalComments: "none",
  logLevel: "warning",
});

let failed = false;
for (const entry of entries) {
  const out = join(OUT, `${basename(entry, ".ts")}.js`);
  const size = statSync(out).size;
  const over = size > BUDGET;
  failed ||= over;
  console.log(`${out.padEnd(44)} ${(size / 1024).toFixed(1).padStart(7)} KB${over ? `  OVER the ${BUDGET / 1024} KB budget` : ""}`);
}
if (failed) process.exit(1);
