import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

describe('repository files', () => {
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
