import type { Command } from "commander";
import type { CommandContext } from "../io.js";

// TODO: placeholder until the command is built; registers nothing yet.
export function register(_program: Command, _context: CommandContext): void {}
