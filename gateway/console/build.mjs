// Builds the console into dist/: our own files from src/ and, from node_modules, the few library
// files the page loads. Nothing is bundled or transpiled; browsers load ES modules as they are.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const modules = join(here, "node_modules");

const vendor = {
  "leaflet/leaflet.js": "leaflet/dist/leaflet-src.esm.js",
  "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
  "leaflet/images": "leaflet/dist/images",
  "hls/hls.mjs": "hls.js/dist/hls.min.mjs",
  "oidc/oidc-client-ts.js": "oidc-client-ts/dist/browser/oidc-client-ts.min.js",
  "fetch-event-source": "@microsoft/fetch-event-source/lib/esm",
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
cpSync(join(here, "src"), dist, { recursive: true });
for (const [to, from] of Object.entries(vendor)) {
  const target = join(dist, "vendor", to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(modules, from), target, { recursive: true });
}
// fetch-event-source's ES build imports "./fetch" and "./parse" without the extension that browsers
// need (bundlers add it); add it here rather than bundle.
const sse = join(dist, "vendor", "fetch-event-source");
for (const file of readdirSync(sse).filter((f) => f.endsWith(".js"))) {
  const path = join(sse, file);
  writeFileSync(path, readFileSync(path, "utf8").replace(/from '(\.\/[a-z]+)'/g, "from '$1.js'"));
}
console.log(`console built in ${dist}`);
