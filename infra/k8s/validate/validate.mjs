// Validates every object infra/k8s/kustomization.yaml lists:
// - Kubernetes' own kinds against the Kubernetes API schemas (kubernetes-models), strictly: a field
//   the schema does not know (a typo such as `replicaz`) is an error, as `kubectl apply --validate=strict` makes it;
// - the operators' kinds (RabbitmqCluster, Vhost, User, Permission, CloudNativePG's Cluster) against
//   schemas in crds/, written from the operators' API references for the fields these manifests may use;
// - references between objects: every Secret, ConfigMap, Service and volume named exists or is made
//   by make-secrets.sh or an operator, every selector selects a workload, every $(VAR) is defined before use.
// Exits 1 listing every problem. `node validate.mjs [dir]` (default: the parent directory).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import Ajv from "ajv";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] ?? path.join(here, ".."));
const problems = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

// Kubernetes' kinds used here, and the schema of each in kubernetes-models (its generated validators).
const builtIn = {
  "v1/Namespace": "IoK8sApiCoreV1Namespace",
  "v1/ConfigMap": "IoK8sApiCoreV1ConfigMap",
  "v1/Secret": "IoK8sApiCoreV1Secret",
  "v1/Service": "IoK8sApiCoreV1Service",
  "v1/PersistentVolumeClaim": "IoK8sApiCoreV1PersistentVolumeClaim",
  "apps/v1/Deployment": "IoK8sApiAppsV1Deployment",
  "apps/v1/StatefulSet": "IoK8sApiAppsV1StatefulSet",
  "policy/v1/PodDisruptionBudget": "IoK8sApiPolicyV1PodDisruptionBudget",
  "networking.k8s.io/v1/Ingress": "IoK8sApiNetworkingV1Ingress",
};
const operators = {
  "rabbitmq.com/v1beta1/RabbitmqCluster": "rabbitmqcluster.json",
  "rabbitmq.com/v1beta1/Vhost": "vhost.json",
  "rabbitmq.com/v1beta1/User": "user.json",
  "rabbitmq.com/v1beta1/Permission": "permission.json",
  "postgresql.cnpg.io/v1/Cluster": "cnpg-cluster.json",
};

// Strict checking of Kubernetes' kinds: the generated validators look at each property their schema
// names. Every object is watched while it is validated; a key nobody looked at is one the schema does
// not have. Objects whose keys the validator lists (maps: labels, data, resources) are free-form.
function watched(value, seen) {
  if (value === null || typeof value !== "object") return value;
  const record = { read: new Set(), listed: false };
  seen.set(value, record);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") record.read.add(key);
      const child = Reflect.get(target, key, receiver);
      if (child === null || typeof child !== "object") return child;
      if (!children.has(key)) children.set(key, watched(child, seen));
      return children.get(key);
    },
    has(target, key) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      record.listed = true;
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value, seen, at, out) {
  if (value === null || typeof value !== "object") return;
  const record = seen.get(value);
  if (!record) return; // not reached by the validator: its parent was free-form
  for (const key of Object.keys(value)) {
    if (!Array.isArray(value) && !record.listed && !record.read.has(key)) out.push(`${at}/${key}`);
    unknownFields(value[key], seen, `${at}/${key}`, out);
  }
}

async function validateBuiltIn(doc, where, schema) {
  const { validate } = await import(`kubernetes-models/_schemas/${schema}`);
  const seen = new Map();
  const copy = structuredClone(doc);
  if (!validate(watched(copy, seen))) {
    for (const e of validate.errors) problem(where, `${e.instancePath || "/"} ${e.keyword}: ${JSON.stringify(e.params)}`);
    return;
  }
  const root = seen.get(copy);
  root.read.add("apiVersion");
  root.read.add("kind");
  const unknown = [];
  unknownFields(copy, seen, "", unknown);
  for (const field of unknown) problem(where, `${field} is not a field of ${doc.apiVersion} ${doc.kind}`);
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const operatorValidators = Object.fromEntries(Object.entries(operators).map(([kind, file]) =>
  [kind, ajv.compile(JSON.parse(fs.readFileSync(path.join(here, "crds", file), "utf8")))]));

function validateOperator(doc, where, key) {
  const validate = operatorValidators[key];
  if (!validate(doc)) for (const e of validate.errors) problem(where, `${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}`);
}

// Load what the kustomization lists.
const kustomization = parseAllDocuments(fs.readFileSync(path.join(root, "kustomization.yaml"), "utf8"))[0].toJS();
const allowedKustomize = new Set(["apiVersion", "kind", "namespace", "labels", "resources", "images"]);
for (const key of Object.keys(kustomization)) if (!allowedKustomize.has(key)) problem("kustomization.yaml", `${key} is not a field these manifests use`);
if (kustomization.kind !== "Kustomization") problem("kustomization.yaml", "kind must be Kustomization");
const objects = [];
for (const file of kustomization.resources ?? []) {
  const full = path.join(root, file);
  if (!fs.existsSync(full)) { problem("kustomization.yaml", `resource ${file} does not exist`); continue; }
  parseAllDocuments(fs.readFileSync(full, "utf8")).forEach((d, i) => {
    if (d.errors.length) { d.errors.forEach(e => problem(`${file}#${i}`, e.message)); return; }
    const doc = d.toJS();
    if (doc) objects.push({ doc, where: `${file}#${i} ${doc.kind}/${doc.metadata?.name}` });
  });
}
for (const file of fs.readdirSync(root).filter(f => f.endsWith(".yaml") && f !== "kustomization.yaml"))
  if (!(kustomization.resources ?? []).includes(file)) problem(file, "is not listed in kustomization.yaml");

for (const { doc, where } of objects) {
  const key = `${doc.apiVersion}/${doc.kind}`;
  if (builtIn[key]) await validateBuiltIn(doc, where, builtIn[key]);
  else if (operators[key]) validateOperator(doc, where, key);
  else problem(where, `${key} is not a kind this validator knows`);
}

// References between objects.
const named = kind => new Set(objects.filter(o => o.doc.kind === kind).map(o => o.doc.metadata.name));
const makeSecrets = fs.readFileSync(path.join(root, "make-secrets.sh"), "utf8");
const madeSecrets = new Set(["bodycam-keys", "bodycam-audit", "bodycam-tls"]);
for (const m of makeSecrets.matchAll(/for (?:role|user) in ([a-z ]+); do\n\s+have "(bodycam-(?:pg|mq)-)\$(?:role|user)"/g))
  for (const name of m[1].trim().split(/\s+/)) madeSecrets.add(m[2] + name);
// CloudNativePG makes <cluster>-ca (and -app, -superuser); the operators make the services <cluster> and <cluster>-rw.
for (const c of named("Cluster")) { madeSecrets.add(`${c}-ca`); }
const secrets = new Set([...named("Secret"), ...madeSecrets]);
const configMaps = named("ConfigMap");
const claims = named("PersistentVolumeClaim");
const services = new Set([...named("Service"), ...[...named("Cluster")].map(c => `${c}-rw`), ...named("RabbitmqCluster")]);
const workloads = objects.filter(o => ["Deployment", "StatefulSet"].includes(o.doc.kind));
const users = named("User");

for (const { doc, where } of objects) {
  if (["Deployment", "StatefulSet"].includes(doc.kind)) {
    const pod = doc.spec.template.spec;
    const selector = doc.spec.selector?.matchLabels ?? {};
    for (const [k, v] of Object.entries(selector)) if (doc.spec.template.metadata?.labels?.[k] !== v) problem(where, `selector ${k}=${v} does not select its own pods`);
    if (doc.kind === "StatefulSet" && !services.has(doc.spec.serviceName)) problem(where, `serviceName ${doc.spec.serviceName} is not a Service here`);
    const volumes = new Set((pod.volumes ?? []).map(v => v.name));
    for (const v of pod.volumes ?? []) {
      if (v.secret && !secrets.has(v.secret.secretName)) problem(where, `volume ${v.name}: Secret ${v.secret.secretName} is made by nothing here`);
      if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName)) problem(where, `volume ${v.name}: claim ${v.persistentVolumeClaim.claimName} is not here`);
    }
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const defined = new Set();
      for (const from of c.envFrom ?? []) if (from.configMapRef && !configMaps.has(from.configMapRef.name)) problem(where, `${c.name}: ConfigMap ${from.configMapRef.name} is not here`);
      for (const e of c.env ?? []) {
        for (const m of String(e.value ?? "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!defined.has(m[1])) problem(where, `${c.name}: ${e.name} uses $(${m[1]}) before it is defined`);
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !secrets.has(ref.name)) problem(where, `${c.name}: ${e.name} reads Secret ${ref.name}, which nothing here makes`);
        for (const m of String(e.value ?? "").matchAll(/https?:\/\/([a-z0-9-]+)(?:\.([a-z0-9-]+))?[:/]/g)) {
          const host = m[2] && services.has(m[2]) ? m[2] : m[1];
          if (!services.has(host) && !m[0].includes(".example")) problem(where, `${c.name}: ${e.name} points at ${m[1]}, not a Service here`);
        }
        defined.add(e.name);
      }
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problem(where, `${c.name}: mounts ${m.name}, not a volume of the pod`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problem(where, `${c.name}: no CPU and memory requests`);
    }
    for (const c of pod.containers) if (!c.readinessProbe || !c.livenessProbe) problem(where, `${c.name}: needs readiness and liveness probes`);
  }
  if (doc.kind === "Service" || doc.kind === "PodDisruptionBudget") {
    const selector = doc.kind === "Service" ? doc.spec.selector : doc.spec.selector?.matchLabels;
    const selects = workloads.some(w => Object.entries(selector ?? {}).every(([k, v]) => w.doc.spec.template.metadata?.labels?.[k] === v));
    if (!selects) problem(where, `its selector selects no workload here`);
  }
  if (doc.kind === "Ingress") {
    for (const rule of doc.spec.rules ?? []) for (const p of rule.http?.paths ?? []) if (!services.has(p.backend.service.name)) problem(where, `backend ${p.backend.service.name} is not a Service here`);
  }
  if (doc.kind === "Permission" && !users.has(doc.spec.userReference?.name)) problem(where, `user ${doc.spec.userReference?.name} is not a User here`);
  if (doc.kind === "User" && !secrets.has(doc.spec.importCredentialsSecret?.name)) problem(where, `credentials ${doc.spec.importCredentialsSecret?.name} are made by nothing here`);
  if (doc.kind === "Cluster") for (const r of doc.spec.managed?.roles ?? []) if (r.passwordSecret && !secrets.has(r.passwordSecret.name)) problem(where, `role ${r.name}: Secret ${r.passwordSecret.name} is made by nothing here`);
  for (const ref of [doc.spec?.rabbitmqClusterReference?.name].filter(Boolean)) if (!named("RabbitmqCluster").has(ref)) problem(where, `RabbitmqCluster ${ref} is not here`);
}

if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} problem(s) in ${root}`);
  process.exit(1);
}
console.log(`${objects.length} objects valid in ${root} (${Object.keys(builtIn).length} Kubernetes kinds strictly, ${Object.keys(operators).length} operator kinds)`);
