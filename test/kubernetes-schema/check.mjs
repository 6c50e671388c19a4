// node check.mjs RENDERED.yaml: validates every object of a multi-document YAML
// (what `kubectl kustomize` prints) offline, as ../shared/design/ecosystem-facts.md
// describes: kubernetes-models checks types and required fields, and a walk over
// @kubernetes/client-node's attributeTypeMaps finds fields Kubernetes does not know
// (a typo such as `readOnlyRootFileSystem` that the API server would silently drop).
// Exit 0 when all are valid; else prints each problem and exits 1.
import * as yaml from "js-yaml";
import * as k8s from "@kubernetes/client-node";
import { readFileSync } from "node:fs";

const problems = [];

// Fields of `value` that the model `type` does not have, recursively.
function walk(value, type, path) {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    value.forEach((v, i) => walk(v, array[1], `${path}[${i}]`));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [k, v] of Object.entries(value)) walk(v, map[1], `${path}.${k}`);
    return;
  }
  const model = k8s[type];
  if (!model?.attributeTypeMap || typeof value !== "object") return;  // a leaf
  const fields = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) problems.push(`${path}.${k}: unknown field of ${type}`);
    else walk(v, fields.get(k), `${path}.${k}`);
  }
}

for (const doc of yaml.loadAll(readFileSync(process.argv[2], "utf8"))) {
  if (!doc) continue;
  const where = `${doc.kind}/${doc.metadata?.name}`;
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : ["", doc.apiVersion];
  const module = `kubernetes-models/${group ? group + "/" : ""}${version}/${doc.kind}`;
  let Model;
  try {
    Model = (await import(module))[doc.kind];
  } catch {
    problems.push(`${where}: no model for ${doc.apiVersion} ${doc.kind}`);
    continue;
  }
  try {
    new Model(doc).validate();
  } catch (e) {
    problems.push(`${where}: ${e.message}`);
  }
  const type = `V1${doc.kind}`;
  if (!k8s[type]) problems.push(`${where}: no field list for ${type}`);
  else walk(doc, type, where);
}
for (const p of problems) console.log(p);
console.log(problems.length ? `${problems.length} problems` : "valid");
process.exit(problems.length ? 1 : 0);
