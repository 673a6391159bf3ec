// A small static server for the built app (dist/) and for model files in the Hugging Face Hub's
// URL layout (`/<org>/<name>/resolve/main/<file>`). The browser specs use it through harness.mjs;
// scripts/serve.sh runs it (serve.mjs) so that a classroom gets the default model offline.
// Node's standard library only: no node modules needed.

import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve } from "node:path";

export const repo = resolve(import.meta.dirname, "../..");
export const distDir = resolve(process.env.SOO_DIST ?? join(repo, "dist"));

const mimeTypes = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".gguf": "application/octet-stream",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Where `scripts/serve.sh` and the default-model spec serve SmolLM2 (the page's DEFAULT_LOCAL). */
export const defaultModelPrefix = "/models/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/";

/** The cached test model's folder (scripts/fetch-test-model.sh), if known. */
export function defaultModelFolder() {
  const model = process.env.SOO_TEST_MODEL ?? join(process.env.HOME ?? "", ".cache/soo/models/SmolLM2-135M-Instruct.Q4_1.gguf");
  return dirname(model);
}

/**
 * Folders of test models, served in the Hub's URL layout. A mount may list several folders:
 * a file is taken from the first that has it (`tiny-chat` = the tiny llama's weights + a
 * tokenizer and chat template made for the tests).
 */
export const hubMounts = {
  "/soo-test/tiny-llama/resolve/main/": join(repo, "core/tests/fixtures/tiny/llama"),
  "/soo-test/tiny-chat/resolve/main/": [
    join(repo, "tests/browser/fixtures/tiny-chat"),
    join(repo, "core/tests/fixtures/tiny/llama"),
  ],
};

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Maps a URL path to a file: under a mount's folder(s) if one matches, else under `root`. */
function fileFor(root, mounts, path) {
  for (const [prefix, folders] of Object.entries(mounts)) {
    if (!path.startsWith(prefix)) continue;
    const list = Array.isArray(folders) ? folders : [folders];
    const candidates = list.map((base) => ({ base, file: normalize(join(base, path.slice(prefix.length))) }));
    return candidates.find((c) => c.file.startsWith(c.base) && isFile(c.file)) ?? candidates[0];
  }
  return { base: root, file: normalize(join(root, path)) };
}

/**
 * Serves `root` (and the `mounts`, URL prefix → folder or folders) on 127.0.0.1:`port` (0: a
 * free one). Resolves to `{ url, close }`.
 */
export function serveStatic(root = distDir, mounts = hubMounts, port = 0) {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
    let { base, file } = fileFor(root, mounts, path);
    if (!file.startsWith(base)) {
      response.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      const size = statSync(file).size;
      response.writeHead(200, {
        "content-type": mimeTypes[extname(file)] ?? "application/octet-stream",
        "content-length": size,
      });
      createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
  return new Promise((done, fail) => {
    server.on("error", fail);
    server.listen(port, "127.0.0.1", () => {
      const { port } = server.address();
      done({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) });
    });
  });
}
