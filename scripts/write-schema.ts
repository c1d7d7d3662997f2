/**
 * Writes the JSON Schema of vars files from its zod schema to schema/vars.schema.json and to
 * the example ops repo, which keeps a copy where `cake init` puts it, so that the example
 * still works when copied out of this repository.
 * Run: node --import tsx scripts/write-schema.ts
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { varsJsonSchemaText } from "../src/config/schema.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
for (const target of ["schema/vars.schema.json", "examples/ops/schema/vars.schema.json"]) {
  await writeFile(path.join(root, target), varsJsonSchemaText());
  process.stdout.write(`Writing: ${target}\n`);
}
