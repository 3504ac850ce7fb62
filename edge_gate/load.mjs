// Loads gate.js under Node with the local KeyValueStore: `const { handler, kvs } = await loadGate()`.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

export async function loadGate() {
  const gate = await import('./gate.js');
  const kvs = await import('./kvs.mjs');
  return { handler: gate.handler, kvs };
}
