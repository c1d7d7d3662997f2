/** `cake schema`: prints the JSON Schema of vars files, for editors and other tools. */
import type { Command } from "commander";
import { varsJsonSchema } from "../../config/schema.js";
import type { CommandContext } from "../io.js";

export function register(program: Command, context: CommandContext): void {
  program
    .command("schema")
    .description("Print the JSON Schema of vars files (the same as schema/vars.schema.json in the package).")
    .action(() => {
      context.io.stdout.write(`${JSON.stringify(varsJsonSchema(), null, 2)}\n`);
    });
}
