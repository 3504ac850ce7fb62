// The Node side of local/node_bridge.py: one long-lived process that answers JSON lines.
// Request:  {"id": 1, "module": "/abs/path/file.mjs", "export": "name", "args": [...]}
// Answer:   {"id": 1, "result": <JSON>}  or  {"id": 1, "error": "message"}
// A module is imported once and kept; an export may return a promise.
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

// stdout carries the answers: whatever a module logs goes to stderr instead.
console.log = console.info = console.debug = console.error;

const modules = new Map();

function load(path) {
  if (!modules.has(path)) modules.set(path, import(pathToFileURL(path).href));
  return modules.get(path);
}

async function answer(line) {
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id;
    const module = await load(request.module);
    const exported = module[request.export];
    if (typeof exported !== "function") {
      throw new Error(`${request.module} exports no function ${request.export}`);
    }
    const result = await exported(...(request.args ?? []));
    return { id, result: result === undefined ? null : result };
  } catch (error) {
    return { id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  process.stdout.write(`${JSON.stringify(await answer(line))}\n`);
}
