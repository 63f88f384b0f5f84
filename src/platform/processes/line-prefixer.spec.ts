import { LinePrefixer, MAX_LINE_CHARS } from './line-prefixer';

function run(chunks: string[], end = true): string {
  let out = '';
  const p = new LinePrefixer('[bank:bank] ', (t) => (out += t));
  for (const c of chunks) p.push(c);
  if (end) p.end();
  return out;
}

describe('LinePrefixer', () => {
  it('prefixes every line, however the chunks cut them', () => {
    expect(run(['one\ntw', 'o\n', '', 'thr', 'ee\nfour\n'])).toBe(
      '[bank:bank] one\n[bank:bank] two\n[bank:bank] three\n[bank:bank] four\n',
    );
  });

  it('holds a partial line until its newline, and writes it at the end', () => {
    expect(run(['no newline yet'], false)).toBe('');
    expect(run(['last words'])).toBe('[bank:bank] last words\n');
  });

  it('keeps empty lines as lines', () => {
    expect(run(['a\n\nb\n'])).toBe('[bank:bank] a\n[bank:bank] \n[bank:bank] b\n');
  });

  it('cuts a line longer than the bound into prefixed pieces', () => {
    const out = run(['x'.repeat(MAX_LINE_CHARS * 2 + 5)]);
    const lines = out.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.startsWith('[bank:bank] '))).toBe(true);
    expect(lines[2]).toBe('[bank:bank] xxxxx');
  });
});
