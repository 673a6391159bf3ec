// `node tests/browser/serve.mjs [port]`: serves the built app (dist/) and the default model
// (SmolLM2-135M-Instruct from the cache scripts/fetch-test-model.sh fills) in the Hub's URL
// layout, so the page loads its default model from this machine: a classroom works offline.
import { defaultModelFolder, defaultModelPrefix, distDir, serveStatic } from "./server.mjs";

const port = Number(process.argv[2] ?? process.env.SOO_PORT ?? 8080);
const { url } = await serveStatic(distDir, { [defaultModelPrefix]: defaultModelFolder() }, port);
console.log(`soo is served at ${url}  (Ctrl-C stops it)`);
console.log(`the default model comes from ${defaultModelFolder()}`);
