// The validator's own test: each typo below, made in a copy of the manifests, must be reported.
// Run by `./bodycam test` after validate.mjs (so a validator that accepts anything fails the build).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");
const typos = [
  ["audit.yaml", /^  replicas: 2$/m, "  replicaz: 2", "/spec/replicaz is not a field"],
  ["gateway.yaml", /readinessProbe:/, "readinesProbe:", "readinesProbe is not a field"],
  ["streaming.yaml", /runAsNonRoot: true/, "runAsNonroot: true", "runAsNonroot is not a field"],
  ["ingest.yaml", /periodSeconds: 10/, "periodSeconds: ten", "periodSeconds type: {\"type\":\"integer\"}"],
  ["rabbitmq.yaml", /^  replicas: 3$/m, "  replicas: 3\n  replika: 3", "additional properties (replika)"],
  ["postgres.yaml", /podAntiAffinityType: required/, "podAntiAffinityType: requird", "allowed values"],
  ["location.yaml", /name: bodycam-pg-location/, "name: bodycam-pg-locaton", "Secret bodycam-pg-locaton, which nothing here makes"],
  ["gateway.yaml", /http:\/\/audit:8080\//, "http://adit:8080/", "points at adit"],
  ["kustomization.yaml", /  - gateway.yaml\n/, "", "gateway.yaml: is not listed"],
];
let failures = 0;
for (const [file, pattern, replacement, expected] of typos) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "bodycam-k8s-"));
  for (const f of fs.readdirSync(root).filter(f => f.endsWith(".yaml") || f.endsWith(".sh"))) fs.copyFileSync(path.join(root, f), path.join(copy, f));
  const text = fs.readFileSync(path.join(copy, file), "utf8");
  if (!pattern.test(text)) { console.error(`self-test: ${file} no longer has ${pattern}; update the typo list`); failures++; continue; }
  fs.writeFileSync(path.join(copy, file), text.replace(pattern, replacement));
  const run = spawnSync(process.execPath, [path.join(here, "validate.mjs"), copy], { encoding: "utf8" });
  fs.rmSync(copy, { recursive: true, force: true });
  if (run.status === 0 || !run.stderr.includes(expected)) {
    console.error(`self-test: a typo in ${file} (${replacement.trim() || "removed"}) was not reported as "${expected}":\n${run.stdout}${run.stderr}`);
    failures++;
  }
}
if (failures) process.exit(1);
console.log(`${typos.length} typos each reported`);
