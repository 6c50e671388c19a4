// node check.mjs RENDERED.yaml: validates every object of a multi-document YAML
// (what `kubectl kustomize` prints) offline, as ../shared/design/ecosystem-facts.md
// describes: kubernetes-models (@kubernetes-models/prometheus-operator for
// PodMonitor and PrometheusRule) checks types and required fields; fields Kubernetes
// does not know (a typo such as `readOnlyRootFileSystem` that the API server would
// silently drop) are found by a walk over @kubernetes/client-node's attributeTypeMaps
// for core kinds, and for the operator's kinds by TypeScript's excess-property check
// of each object against the model's interface.
// Exit 0 when all are valid; else prints each problem and exits 1.
import * as yaml from "js-yaml";
import * as k8s from "@kubernetes/client-node";
import ts from "typescript";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const kOperatorGroup = "monitoring.coreos.com";

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

// Unknown fields of the operator's objects: each becomes `const o: I<Kind> = {...}` in
// a TypeScript file next to node_modules, and tsc reports every property its type lacks.
function excessProperties(docs) {
  if (docs.length === 0) return;
  const here = dirname(fileURLToPath(import.meta.url));
  const files = new Map();
  docs.forEach(({ doc, module, where }, i) => {
    const file = join(here, `.object-${process.pid}-${i}.ts`);
    writeFileSync(
      file,
      `import type { I${doc.kind} as T } from "${module}";\n` +
        `export const o: T = ${JSON.stringify(doc, null, 1)};\n`,
    );
    files.set(file, where);
  });
  try {
    const program = ts.createProgram([...files.keys()], {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
    });
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      const field = /'"?([^"']+)"?' does not exist in type/.exec(text);
      const where = files.get(d.file?.fileName) ?? "typescript";
      problems.push(field ? `${where}: ${field[1]}: unknown field` : `${where}: ${text}`);
    }
  } finally {
    for (const file of files.keys()) rmSync(file, { force: true });
  }
}

const operatorDocs = [];
for (const doc of yaml.loadAll(readFileSync(process.argv[2], "utf8"))) {
  if (!doc) continue;
  const where = `${doc.kind}/${doc.metadata?.name}`;
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : ["", doc.apiVersion];
  const module =
    group === kOperatorGroup
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${doc.kind}`
      : `kubernetes-models/${group ? group + "/" : ""}${version}/${doc.kind}`;
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
  if (group === kOperatorGroup) {
    operatorDocs.push({ doc, module, where });
    continue;
  }
  const type = `V1${doc.kind}`;
  if (!k8s[type]) problems.push(`${where}: no field list for ${type}`);
  else walk(doc, type, where);
}
excessProperties(operatorDocs);
for (const p of problems) console.log(p);
console.log(problems.length ? `${problems.length} problems` : "valid");
process.exit(problems.length ? 1 : 0);
