import { endpointsOf, parseLabs, portOf } from './labs-selection';

describe('parseLabs', () => {
  it('selects every lab and node by default', () => {
    const all = parseLabs(undefined);
    expect([...all.keys()]).toEqual(['booking', 'bank', 'orders', 'counter', 'replication']);
    expect(all.get('counter')).toEqual(['coordinator', 'us-east', 'us-west', 'eu-west', 'strong', 'gateway']);
  });

  it('accepts a comma list and lab:node items', () => {
    const sel = parseLabs('bank, counter:us-east,counter:gateway');
    expect(sel.get('bank')).toEqual(['bank']);
    expect(sel.get('counter')).toEqual(['us-east', 'gateway']);
  });

  it.each(['nope', 'booking:x', 'counter:us-east:1', 'bank,nope'])('rejects %s naming LABS', (raw) => {
    expect(() => parseLabs(raw)).toThrow(/^LABS: /);
  });
});

describe('ports', () => {
  it('uses the lab base when several labs run and 8000 when one runs', () => {
    expect(portOf('counter', 'gateway', 5, 0)).toBe(8380);
    expect(portOf('counter', 'gateway', 1, 0)).toBe(8080);
    expect(portOf('orders', 'api', 1, 100)).toBe(8103);
  });

  it('gives every node of the plan a distinct port in all-labs mode', () => {
    const ports = endpointsOf(parseLabs('all'), 0).map((e) => e.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.sort()).toEqual(
      [8000, 8100, 8200, 8201, 8203, 8300, 8301, 8302, 8303, 8304, 8380, 8400, 8401, 8402, 8403].sort(),
    );
  });
});
