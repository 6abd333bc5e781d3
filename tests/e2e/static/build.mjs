// Builds the site into dist/: src/page.md rendered to HTML with marked (a dev
// dependency), the greeting from src/site.json as the title, src/style.css
// copied, and a `healthz` file for the health check.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { marked } from "marked";

const site = JSON.parse(readFileSync("src/site.json", "utf8"));
const content = marked.parse(readFileSync("src/page.md", "utf8"));

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
writeFileSync(
  "dist/index.html",
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${site.greeting}</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<h1>${site.greeting}</h1>
${content}</body>
</html>
`,
);
copyFileSync("src/style.css", "dist/style.css");
writeFileSync("dist/healthz", "ok\n");
console.log("built dist/: index.html, style.css, healthz");
