/**
 * Writes schema/vars.schema.json from the zod schema of the vars file.
 * Run: node --import tsx scripts/write-schema.ts
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { varsJsonSchemaText } from "../src/config/schema.js";

const target = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "schema", "vars.schema.json");
await writeFile(target, varsJsonSchemaText());
process.stdout.write(`Writing: ${path.relative(process.cwd(), target)}\n`);
