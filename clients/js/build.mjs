// Builds the browser bundle of the client module (src/browser.js: the
// roomcast client, socket.io-client, socket.io-msgpack-parser and the
// arena rules) into web/roomcast.bundle.js, which is committed and
// embedded by package jsclient so the gameserver needs no npm.
//   npm run build            (writes web/roomcast.bundle.js)
//   node build.mjs OUTFILE   (writes elsewhere; test/bundle.test.js uses it
//                             to check the committed bundle is current)
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export const options = {
  entryPoints: [join(here, "src/browser.js")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
};

export async function buildBundle(outfile = join(here, "web/roomcast.bundle.js")) {
  await build({ ...options, outfile });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildBundle(process.argv[2]);
  console.log(`wrote ${out}`);
}
