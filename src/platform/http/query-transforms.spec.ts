import { plainToInstance } from 'class-transformer';
import { booleanFromText, integerFromText, ToBoolean, ToInt } from './query-transforms';

describe('query transforms', () => {
  it('turns integer literals into numbers and leaves everything else for the validator', () => {
    expect(['7', ' -12 ', '0', '9007199254740991'].map(integerFromText)).toEqual([7, -12, 0, 9007199254740991]);
    for (const text of ['1.5', '1e3', '', 'abc', '0x10', '9007199254740992', '99999999999999999999'])
      expect(integerFromText(text)).toBe(text);
    expect(integerFromText(3)).toBe(3);
    expect(integerFromText(null)).toBeNull();
  });

  it('turns the seeds’ flag spellings into booleans, any case, and nothing else', () => {
    expect(['true', 'YES', ' on ', '1'].map(booleanFromText)).toEqual([true, true, true, true]);
    expect(['false', 'No', 'off', '0'].map(booleanFromText)).toEqual([false, false, false, false]);
    for (const text of ['', 'maybe', 'truthy', '2']) expect(booleanFromText(text)).toBe(text);
    expect(booleanFromText(false)).toBe(false);
  });

  it('works as decorators through class-transformer', () => {
    class Query {
      @ToInt() limit?: unknown;
      @ToBoolean() verbose?: unknown;
    }
    expect(plainToInstance(Query, { limit: '10', verbose: 'yes' })).toEqual({ limit: 10, verbose: true });
  });
});
