/** The table of `cake user list` and `cake namespace list`. */
import { describe, expect, it } from "vitest";
import { renderTable } from "../../src/edit/listing.js";

describe("renderTable", () => {
  it("pads columns to the widest cell", () => {
    const table = renderTable(
      ["USER", "ACCESS"],
      [
        ["ann@example.com", "edit"],
        ["b@example.com", "view"],
      ],
    );

    expect(table).toBe("USER             ACCESS\nann@example.com  edit\nb@example.com    view\n");
  });

  it("renders 300k rows", () => {
    // 50k users with 5 namespaces each: more rows than a call takes arguments.
    const rows = Array.from({ length: 300_000 }, (_, index) => [`user${index}@example.com`, "edit"]);
    const table = renderTable(["USER", "ACCESS"], rows);

    expect(table.startsWith("USER                    ACCESS\n")).toBe(true);
    expect(table.endsWith("user299999@example.com  edit\n")).toBe(true);
  });
});
