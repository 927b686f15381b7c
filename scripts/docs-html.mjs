/**
 * The browsable API reference: turns the Markdown that `docgen` writes into `docs/modules/` into
 * HTML pages in `docs/html/`, one per module, and an `index.html` that lists every module under the
 * entry point that exports it (`effect-realtime`, `effect-realtime/node`, ...), each with its
 * overview. Every in-page link of a generated page must land on a heading of that page, or the
 * script fails. Run it after `docgen` (`npm run docs` runs both).
 */
/* oxlint-disable no-console */
import { Marked } from "marked"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const modulesDir = join("docs", "modules")
const outDir = join("docs", "html")
const pkg = JSON.parse(readFileSync("package.json", "utf8"))

const escapeHtml = (text) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A heading's anchor as docgen's tables of contents spell it (GitHub's rule). */
const slugOf = (text) => text.toLowerCase().trim().replace(/<[^>]*>/g, "").replace(/[^\w\- ]/g, "").replace(/ /g, "-")

/**
 * Renders one page's Markdown, its headings one level down (the page's title is its only `h1`);
 * returns the HTML and the ids its headings got.
 */
const render = (markdown) => {
  const ids = new Set()
  const marked = new Marked({
    gfm: true,
    renderer: {
      heading({ tokens, depth }) {
        const text = this.parser.parseInline(tokens, this.parser.textRenderer)
        let id = slugOf(text)
        for (let n = 1; ids.has(id); n++) id = `${slugOf(text)}-${n}`
        ids.add(id)
        const level = Math.min(depth + 1, 6)
        return `<h${level} id="${id}">${this.parser.parseInline(tokens)}</h${level}>\n`
      }
    }
  })
  return { html: marked.parse(markdown), ids }
}

/** The start of an overview: its first paragraph (and the block after it, when it ends with a colon). */
const summaryOf = (overview) => {
  const blocks = overview.split("\n\n")
  return (blocks[0] ?? "").trimEnd().endsWith(":") ? blocks.slice(0, 2).join("\n\n") : blocks[0] ?? ""
}

/** A docgen page without its front matter. */
const bodyOf = (markdown) => markdown.replace(/^---\n[\s\S]*?\n---\n/, "")

/** The paragraph under "## <file> overview", up to its "Since" line. */
const overviewOf = (markdown) => {
  const match = /^## \S+ overview\n\n([\s\S]*?)\n\nSince v/m.exec(markdown)
  return match === null ? "" : match[1].trim()
}

/**
 * An entry's own opening comment, as text: docgen takes a file's overview from the last doc
 * comment before its first statement, which in an entry file (a list of `export * as`) is the
 * first export's, not the file's.
 */
const fileCommentOf = (sourcePath) => {
  const match = /^\/\*\*\n([\s\S]*?)\*\//.exec(readFileSync(sourcePath, "utf8"))
  if (match === null) return ""
  return match[1].split("\n").map((line) => line.replace(/^ \* ?/, ""))
    .filter((line) => !line.startsWith("@")).join("\n").trim()
}

// the entry points, from the package's exports map: import path -> source module name
const entries = Object.entries(pkg.exports).flatMap(([key, target]) => {
  const file = typeof target === "object" ? target.import : target
  const match = /^\.\/dist\/(.+)\.js$/.exec(file ?? "")
  return match === null
    ? []
    : [{ importPath: key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`, module: match[1] }]
})
const entryModules = new Set(entries.map((entry) => entry.module))

const modules = readdirSync(modulesDir).filter((file) => file.endsWith(".ts.md")).map((file) => {
  const name = file.slice(0, -".ts.md".length)
  const markdown = readFileSync(join(modulesDir, file), "utf8")
  const overview = entryModules.has(name) ? fileCommentOf(join("src", `${name}.ts`)) : overviewOf(markdown)
  const reexports = [...markdown.matchAll(/^## (\w+) \(namespace export\)$/gm)].map((match) => match[1])
  return { name, markdown, overview, reexports }
}).sort((a, b) => a.name.localeCompare(b.name))
const byName = new Map(modules.map((module) => [module.name, module]))

const title = `${pkg.name} ${pkg.version}`
const style = `
body { margin: 0; font: 15px/1.55 system-ui, sans-serif; color: #1d1f23; display: flex; }
nav { width: 16rem; flex: none; height: 100vh; position: sticky; top: 0; overflow-y: auto;
  padding: 1rem; box-sizing: border-box; background: #f4f5f7; border-right: 1px solid #dde0e4; }
nav a { display: block; padding: 0.1rem 0; color: #24407a; text-decoration: none; }
nav a.current { font-weight: 600; }
nav h2 { font-size: 0.8rem; text-transform: uppercase; color: #5b6270; margin: 1rem 0 0.3rem; }
main { padding: 1rem 2.5rem 4rem; max-width: 56rem; min-width: 0; }
a { color: #24407a; }
pre { background: #f4f5f7; padding: 0.8rem; overflow-x: auto; border-radius: 4px; }
code { font: 13px/1.45 ui-monospace, monospace; }
h1 { border-bottom: 1px solid #dde0e4; padding-bottom: 0.3rem; margin-top: 2.5rem; }
h2 { margin-top: 2rem; }
h1 code, h2 code, h3 code { font-size: inherit; }
dt { margin-top: 0.8rem; font-weight: 600; }
dd { margin-left: 1.2rem; }
dd p { margin: 0.2rem 0; }
`

const page = (pageTitle, current, content) => {
  const link = (name, label) => `<a href="${name}.ts.html"${name === current ? " class=\"current\"" : ""}>${label}</a>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(pageTitle)}</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<nav>
<a href="index.html"${current === null ? " class=\"current\"" : ""}><strong>${escapeHtml(title)}</strong></a>
<h2>Entry points</h2>
${entries.map((entry) => link(entry.module, escapeHtml(entry.importPath))).join("\n")}
<h2>Modules</h2>
${modules.filter((module) => !entryModules.has(module.name)).map((module) => link(module.name, module.name)).join("\n")}
</nav>
<main>
${content}
</main>
</body>
</html>
`
}

rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })
writeFileSync(join(outDir, "style.css"), style.trimStart())

/**
 * An entry's page: docgen's overview section (the first export's comment) gives way to the file's
 * own, and each namespace export links to its module's page.
 */
const entryBodyOf = (markdown) =>
  bodyOf(markdown).replace(/^## \S+ overview\n[\s\S]*?\n---\n/m, "")
    .replace(/^## (\w+) \(namespace export\)$/gm, (_, name) => `## [${name}](${name}.ts.html) (namespace export)`)

const broken = []
for (const module of modules) {
  const { html, ids } = render(entryModules.has(module.name) ? entryBodyOf(module.markdown) : bodyOf(module.markdown))
  for (const [, anchor] of html.matchAll(/href="#([^"]*)"/g)) {
    if (!ids.has(anchor)) broken.push(`${module.name}.ts.html#${anchor}`)
  }
  const entry = entries.find((candidate) => candidate.module === module.name)
  const heading = entry === undefined
    ? `<h1>${module.name}</h1>`
    : `<h1>${entry.importPath}</h1>\n${new Marked().parse(module.overview)}`
  writeFileSync(
    join(outDir, `${module.name}.ts.html`),
    page(`${module.name}: ${title}`, module.name, `${heading}\n${html}`)
  )
}

const listed = new Set()
const describe = (module) => {
  listed.add(module.name)
  return `<dt><a href="${module.name}.ts.html">${module.name}</a></dt>\n<dd>${
    new Marked().parse(summaryOf(module.overview))
  }</dd>`
}
const sections = entries.map((entry) => {
  const module = byName.get(entry.module)
  if (module === undefined) throw new Error(`no docs for the entry ${entry.importPath} (src/${entry.module}.ts)`)
  listed.add(module.name)
  const held = module.reexports.map((name) => byName.get(name)).filter((found) => found !== undefined)
  return `<h2 id="${
    slugOf(entry.importPath)
  }"><a href="${module.name}.ts.html"><code>${entry.importPath}</code></a></h2>
${new Marked().parse(summaryOf(module.overview))}
<dl>
${held.map(describe).join("\n")}
</dl>`
})
const others = modules.filter((module) => !listed.has(module.name))
if (others.length > 0) {
  sections.push(`<h2 id="other-modules">Other modules</h2>
<p>Public modules that no entry point re-exports as a namespace.</p>
<dl>
${others.map(describe).join("\n")}
</dl>`)
}
writeFileSync(
  join(outDir, "index.html"),
  page(
    `API reference: ${title}`,
    null,
    `<h1>${escapeHtml(title)}: API reference</h1>
<p>${escapeHtml(pkg.description)}. Every public module, grouped by the entry point that exports it.</p>
${sections.join("\n")}`
  )
)

if (broken.length > 0) {
  console.error(`In-page links that land on no heading, ${broken.length}:\n${broken.join("\n")}`)
  process.exit(1)
}
console.log(`${join(outDir, "index.html")}: ${modules.length} modules, ${modules.length + 1} pages`)
