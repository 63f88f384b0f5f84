import { opToEdn, toEdn } from './edn';

describe('EDN export', () => {
  it('writes a Jepsen op map with keywords for :type and :f and the nemesis as :nemesis', () => {
    expect(
      opToEdn({
        index: 4,
        type: 'invoke',
        process: 3,
        f: 'transfer',
        value: { from: 1, to: 2, amount: 5 },
        time: 123456789,
      }),
    ).toBe('{:type :invoke, :f :transfer, :value {:from 1, :to 2, :amount 5}, :process 3, :time 123456789, :index 4}');
    expect(
      opToEdn({
        index: 0,
        type: 'info',
        process: 'nemesis',
        f: 'start',
        value: { fault: 'delay' },
        time: 1,
        error: 'x "y"',
      }),
    ).toBe(
      '{:type :info, :f :start, :value {:fault "delay"}, :process :nemesis, :time 1, :index 0, :error "x \\"y\\""}',
    );
  });

  it('maps JSON values: null → nil, arrays → vectors, keys that are no keywords → strings', () => {
    expect(toEdn(null)).toBe('nil');
    expect(toEdn([1, 'a', true])).toBe('[1 "a" true]');
    expect(toEdn({ 'us-east': 1, 'two words': 2, '1x': 3 })).toBe('{:us-east 1, "two words" 2, "1x" 3}');
    expect(toEdn('line\nbreak\\')).toBe('"line\\nbreak\\\\"');
  });
});
