// node check.mjs DASHBOARD.json...: validates Grafana dashboards against a JSON
// Schema generated from @grafana/schema's `Dashboard` TypeScript type. Exit 0 when
// all are valid; else prints each error and exits 1.
//
// The types are stricter than Grafana itself in a few documented places
// (../shared/design/ecosystem-facts.md), which are allowed here and nothing else:
//  - an annotation query carries its datasource's own keys (Prometheus: expr, step,
//    titleFormat, textFormat, tagKeys, useValueForTime);
//  - a query variable carries `definition`, the query as shown in Grafana's editor;
//  - `__inputs`/`__requires` of exported dashboards (ours has none).
import Ajv from "ajv";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createGenerator } from "ts-json-schema-generator";

// Beside this script, where `npm install` put it (the package does not export the path).
const types = fileURLToPath(
  new URL("node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts", import.meta.url));
const schema = createGenerator({ path: types, type: "Dashboard", skipTypeCheck: true })
  .createSchema("Dashboard");

const defs = schema.definitions;
for (const key of ["expr", "step", "titleFormat", "textFormat", "tagKeys"])
  defs.AnnotationQuery.properties[key] = { type: "string" };
defs.AnnotationQuery.properties.useValueForTime = { type: "boolean" };
defs.VariableModel.properties.definition = { type: "string" };
const dashboard = defs.Dashboard ?? schema;
dashboard.properties ??= {};
dashboard.properties.__inputs = { type: "array" };
dashboard.properties.__requires = { type: "array" };

const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
let failed = false;
for (const file of process.argv.slice(2)) {
  const json = JSON.parse(readFileSync(file, "utf8"));
  if (validate(json)) {
    console.log(`${file}: valid`);
    continue;
  }
  failed = true;
  for (const e of validate.errors)
    console.log(`${file}: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}
process.exit(failed ? 1 : 0);
