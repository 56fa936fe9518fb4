// Writes ../static/js/vendor/LICENSES.txt: every npm package that ended up in the editor
// bundle (from esbuild's metafile), its version and licence text, and the bundle's size.
// Run by `make editor` after the build.
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";

const meta = JSON.parse(readFileSync(process.argv[2], "utf8"));
const bundle = "../static/js/vendor/editor.js";
const packages = new Set();
for (const output of Object.values(meta.outputs)) {
  for (const input of Object.keys(output.inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (m) packages.add(m[1]);
  }
}
const bytes = statSync(bundle).size;
const gzipped = gzipSync(readFileSync(bundle)).length;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const out = [
  "editor.js: the code editor of the coding rounds (CodeMirror 6 with Python), built from",
  "web/editor/ by `make editor` (esbuild, ES module, minified). Nothing is fetched at run time.",
  `Size: ${bytes} bytes (${kb(bytes)}; ${kb(gzipped)} gzipped).`,
  "Every package in it is under the MIT licence; their notices follow.",
  "",
];
for (const name of [...packages].sort()) {
  const dir = join("node_modules", name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  out.push("=".repeat(78), `${name} ${pkg.version} (${pkg.license})`, "=".repeat(78));
  out.push(file ? readFileSync(join(dir, file), "utf8").trim() : `License: ${pkg.license}`, "");
}
writeFileSync(join(dirname(bundle), "LICENSES.txt"), out.join("\n"));
console.log(`editor.js: ${kb(bytes)} (${kb(gzipped)} gzipped), ${packages.size} packages`);
