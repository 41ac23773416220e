// Validates the OpenAPI document that `danescan serve` serves with a standard validator
// (@apidevtools/swagger-parser), then fetches each request path given and validates the answer's status,
// media type, documented headers and JSON body against that operation's response schema (ajv, JSON Schema 2020-12).
// Usage: node openapi-check.cjs <base url> <path>...   Exit 0 when everything validates, 1 otherwise.
"use strict";
const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

async function main() {
  const [base, ...paths] = process.argv.slice(2);
  const failures = [];
  const doc = await (await fetch(new URL("api/openapi", base))).json();
  await SwaggerParser.validate(structuredClone(doc));
  console.log(`openapi: valid OpenAPI ${doc.openapi} document, ${Object.keys(doc.paths).length} paths`);

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, "openapi.json");
  const templates = Object.keys(doc.paths).map((p) => ({
    path: p,
    regex: new RegExp("^" + p.replace(/\{[^}]+\}/g, "[^/]+") + "$"),
  }));

  for (const request of paths) {
    const url = new URL(request, base);
    const template = templates.find((t) => t.regex.test(url.pathname));
    if (!template) {
      failures.push(`${request}: no path of the document matches ${url.pathname}`);
      continue;
    }
    const operation = doc.paths[template.path].get;
    const response = await fetch(url);
    const status = String(response.status);
    const documented = operation.responses[status];
    if (!documented) {
      failures.push(`${request}: status ${status} is not documented for ${operation.operationId}`);
      continue;
    }
    const type = (response.headers.get("content-type") || "").split(";")[0].trim();
    const media = documented.content?.[type];
    if (!media) {
      failures.push(`${request}: ${status} ${type} is not a documented media type of ${operation.operationId}`);
      continue;
    }
    for (const header of Object.keys(documented.headers || {})) {
      if (!response.headers.has(header)) failures.push(`${request}: documented header ${header} is missing`);
      const allowed = documented.headers[header].schema?.enum;
      if (allowed && response.headers.has(header) && !allowed.includes(response.headers.get(header))) {
        failures.push(`${request}: header ${header}: ${response.headers.get(header)} is not one of ${allowed.join(", ")}`);
      }
    }
    const body = await response.json();
    const ref = media.schema.$ref;
    const validate = ajv.getSchema("openapi.json" + ref) || ajv.compile({ $ref: "openapi.json" + ref });
    if (!validate(body)) {
      failures.push(`${request}: body does not match ${ref}: ${ajv.errorsText(validate.errors)}`);
    } else {
      console.log(`ok: ${request} -> ${status} ${ref}`);
    }
  }

  for (const f of failures) console.log(`FAIL: ${f}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((e) => {
  console.log(`FAIL: ${e.stack || e}`);
  process.exit(1);
});
