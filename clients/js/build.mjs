// Builds the client with esbuild:
//   - the browser bundle of src/browser.js (the roomcast client,
//     socket.io-client, socket.io-msgpack-parser and the arena rules) into
//     web/roomcast.bundle.js, which is committed and embedded by package
//     jsclient so the gameserver needs no npm;
//   - the npm package's module: src/roomcast.js (the generic client, no
//     game's rules) into package/dist/roomcast.js, ESM, with
//     socket.io-client and socket.io-msgpack-parser left as imports (they
//     are the package's dependencies). Not committed: `npm pack` in
//     package/ builds it (its prepack script).
//   npm run build                (writes web/roomcast.bundle.js)
//   node build.mjs OUTFILE       (writes the browser bundle elsewhere;
//                                 test/bundle.test.js uses it to check the
//                                 committed bundle is current)
//   node build.mjs --package     (writes package/dist/roomcast.js)
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

/** The package's dependencies: imported by dist/roomcast.js, not bundled. */
export const packageExternals = ["socket.io-client", "socket.io-msgpack-parser"];

export async function buildPackage(outfile = join(here, "package/dist/roomcast.js")) {
  await build({
    entryPoints: [join(here, "src/roomcast.js")],
    bundle: true,
    external: packageExternals,
    format: "esm",
    platform: "neutral",
    target: ["es2020"],
    minify: false,
    sourcemap: false,
    legalComments: "inline",
    charset: "utf8",
    logLevel: "warning",
    banner: { js: "// @roomcast/client: built from clients/js/src by clients/js/build.mjs" },
    outfile,
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] === "--package" ? await buildPackage() : await buildBundle(process.argv[2]);
  console.log(`wrote ${out}`);
}
