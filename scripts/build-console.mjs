#!/usr/bin/env node
// Builds the browser console (src/console, TSX + Preact) with esbuild into dist/console:
// hashed assets under assets/ (cached for good by the server) and an index.html that names them.
// Everything is bundled; nothing is fetched from a CDN, so the console works offline.
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = process.argv[2] ?? join(root, 'dist', 'console');
await rm(outdir, { recursive: true, force: true });
await mkdir(join(outdir, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { console: join(root, 'src/console/main.tsx') },
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  // light-dark() in styles.css needs Chrome 123, Firefox 120, Safari 17.5.
  target: ['chrome123', 'firefox120', 'safari17.5'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: join(outdir, 'assets'),
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
  tsconfig: join(root, 'src/console/tsconfig.json'),
});

const outputs = Object.keys(result.metafile.outputs).map((file) => relative(join(outdir, 'assets'), join(root, file)));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Distributed Systems Labs — console</title>
<link rel="icon" href="data:,">
${css ? `<link rel="stylesheet" href="/console/assets/${css}">` : ''}
<script type="module" src="/console/assets/${js}"></script>
</head>
<body>
<div id="app"><noscript>The console needs JavaScript.</noscript></div>
</body>
</html>
`;
await writeFile(join(outdir, 'index.html'), html);

const sizes = [js, css].filter(Boolean).map((f) => {
  const bytes = readFileSync(join(outdir, 'assets', f));
  return `${f} ${(bytes.length / 1024).toFixed(1)} kB (gzip ${(gzipSync(bytes).length / 1024).toFixed(1)} kB)`;
});
process.stdout.write(`console: built into ${relative(root, outdir) || outdir}: ${sizes.join(', ')}\n`);
