import { toMs } from './streaming-cluster.service';

describe('toMs (PostgreSQL time settings as SHOW prints them)', () => {
  it('reads each unit back to ms', () => {
    expect(toMs('500ms')).toBe(500);
    expect(toMs('2s')).toBe(2000);
    expect(toMs('0')).toBe(0);
    expect(toMs('1min')).toBe(60_000);
    expect(toMs('garbage')).toBeNaN();
  });
});
