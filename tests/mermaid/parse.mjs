// Reads a JSON list of Mermaid diagrams on stdin; prints a JSON list: "ok" or the parse error.
import { JSDOM } from "jsdom";
import fs from "fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
const results = [];
for (const text of JSON.parse(fs.readFileSync(0, "utf8"))) {
  try {
    await mermaid.parse(text);
    results.push("ok");
  } catch (e) {
    results.push("error: " + e.message);
  }
}
console.log(JSON.stringify(results));
