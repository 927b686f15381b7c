/**
 * `node --import ./scratchpad/bench/register.mjs file.ts`: runs TypeScript as the package's build
 * runs (see `loader.mjs`), for measuring memory without tsx's per-closure `name` properties.
 */
import { register } from "node:module"

register("./loader.mjs", import.meta.url)
