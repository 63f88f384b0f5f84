import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EnvSchema } from '../../src/platform/config/env.schema';

/** Files a user of the repo looks for, kept true to the code. */
const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Variables of README's configuration table (first column, one or more `NAME`s). */
function readmeVariables(): string[] {
  const section = read('README.md').split('## Configuration')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
}

/** Variables .env.example names, set or commented out. */
function exampleVariables(): string[] {
  return read('.env.example')
    .split('\n')
    .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Every text file of the tree a user gets, outside dependencies and build output. */
function repoFiles(dir: string = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (['node_modules', 'dist', 'coverage', '.git', '.cache', 'results', 'screenshots'].includes(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return repoFiles(path);
    return /\.(ts|js|mjs|md|ya?ml|json|sh|properties)$|^Dockerfile$/.test(name) && name !== 'package-lock.json'
      ? [path]
      : [];
  });
}

describe('repository files', () => {
  it('cites only what is in the repo: no DESIGN.md, contract section, issue number or seeds folder', () => {
    // the project's design notes and seed runbooks are not shipped; docs/ says it in the repo's words
    const outside = /\bDESIGN\.md\b|\bcontract [A-E]\d\b|\bissue \d+\b|\bseeds\/|\(CONTRACTS\)/;
    const self = relative(ROOT, __filename);
    const found = repoFiles()
      .filter((path) => relative(ROOT, path) !== self)
      .flatMap((path) =>
        read(relative(ROOT, path))
          .split('\n')
          .flatMap((line, i) =>
            outside.test(line) ? [`${relative(ROOT, path)}:${i + 1}: ${line.trim().slice(0, 120)}`] : [],
          ),
      );
    expect(found).toEqual([]);
    expect(existsSync(join(ROOT, 'docs', 'architecture.md'))).toBe(true);
    expect(existsSync(join(ROOT, 'docs', 'seed-contracts.md'))).toBe(true);
  });

  it('.env.example names every variable of the README table and of the env schema', () => {
    const inReadme = readmeVariables();
    expect(inReadme.length).toBeGreaterThan(10);
    const declared = Object.keys(new EnvSchema());
    const example = new Set(exampleVariables());
    expect([...new Set([...inReadme, ...declared])].filter((name) => !example.has(name))).toEqual([]);
  });

  it('has the LICENSE package.json declares, and pins the Node line it supports', () => {
    const pkg = JSON.parse(read('package.json')) as { license: string; engines: { node: string } };
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License/);
    expect(pkg.engines.node).toBe('>=20.6');
    expect(read('.nvmrc').trim()).toBe('22');
    expect(existsSync(join(ROOT, '.editorconfig'))).toBe(true);
  });
});
