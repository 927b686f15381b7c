/**
 * Module hooks that run the TypeScript sources the way the published package runs its build:
 * each `.ts` file is compiled on its own by esbuild (types stripped, ES2022, as `tsc` emits for
 * `dist/`), without the `keepNames` wrapping that tsx adds (`tsx` gives every named function a
 * `name` property of its own, a property store of about 256 bytes on every closure made, which no
 * user of the package pays). A relative `./x.js` import resolves to `./x.ts` where only that
 * exists. Registered by `register.mjs`.
 */
import { transform } from "esbuild"
import { existsSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"

export const resolve = (specifier, context, nextResolve) => {
  if ((specifier.startsWith("./") || specifier.startsWith("../")) && specifier.endsWith(".js") && context.parentURL) {
    const url = new URL(specifier, context.parentURL)
    if (url.protocol === "file:" && !existsSync(fileURLToPath(url))) {
      const ts = new URL(specifier.slice(0, -3) + ".ts", context.parentURL)
      if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context)
    }
  }
  return nextResolve(specifier, context)
}

export const load = async (url, context, nextLoad) => {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context)
  const path = fileURLToPath(url)
  const result = await transform(await readFile(path, "utf8"), {
    loader: "ts",
    format: "esm",
    target: "es2022",
    sourcefile: path,
    sourcemap: "inline",
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } }
  })
  return { format: "module", source: result.code, shortCircuit: true }
}
