// Builds portal/dist: the sources as they are (plain ES modules, no bundler) plus the vendor
// files copied from node_modules. dist/config.js is the development fallback; a deployment
// overwrites it with the real API base URL. First, tsc checks the shared modules (their
// `// @ts-check` and JSDoc types, tsconfig.json): a type error stops the build.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const dist = process.env.PORTAL_DIST || join(here, "dist");

const vendor = [
  ["node_modules/uplot/dist/uPlot.esm.js", "vendor/uplot.esm.js"],
  ["node_modules/uplot/dist/uPlot.min.css", "vendor/uplot.min.css"],
  ["node_modules/uplot/LICENSE", "vendor/uplot.LICENSE.txt"],
  // The API reference page (docs.html) renders /api/openapi.json with Swagger UI.
  ["node_modules/swagger-ui-dist/swagger-ui-bundle.js", "vendor/swagger-ui-bundle.js"],
  ["node_modules/swagger-ui-dist/swagger-ui.css", "vendor/swagger-ui.css"],
  ["node_modules/swagger-ui-dist/LICENSE", "vendor/swagger-ui.LICENSE.txt"],
];

const tsc = join(here, "node_modules/typescript/bin/tsc");
if (!existsSync(tsc)) {
  console.error('missing node_modules/typescript: run "npm ci" in portal/ first');
  process.exit(1);
}
const check = spawnSync(process.execPath, [tsc, "-p", join(here, "tsconfig.json")], { stdio: "inherit" });
if (check.status !== 0) {
  console.error("type check failed (see above): portal not built");
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(src, dist, { recursive: true });
for (const [from, to] of vendor) {
  const origin = join(here, from);
  if (!existsSync(origin)) {
    console.error(`missing ${from}: run "npm ci" in portal/ first`);
    process.exit(1);
  }
  mkdirSync(dirname(join(dist, to)), { recursive: true });
  cpSync(origin, join(dist, to));
}
writeFileSync(join(dist, "build.json"), JSON.stringify({ built_at: new Date().toISOString() }) + "\n");
console.log(`portal built into ${dist}`);
