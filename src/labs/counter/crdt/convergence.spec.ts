import { checkConvergence } from './convergence';

describe('checkConvergence', () => {
  it('passes when every replica holds exactly the acknowledged map', () => {
    const ack = { 'us-east-1': 3, 'us-west-1': 2 };
    const verdict = checkConvergence(ack, { 'us-east': { ...ack }, 'us-west': { ...ack } });
    expect(verdict).toMatchObject({ ok: true, lost: 0, double_counted: 0, exact: ['us-east', 'us-west'] });
  });

  it('reports lost and double-counted increments per replica', () => {
    const verdict = checkConvergence(
      { 'us-east-1': 3, 'us-west-1': 2 },
      { 'us-east': { 'us-east-1': 3 }, 'us-west': { 'us-east-1': 4, 'us-west-1': 2 } },
    );
    expect(verdict).toMatchObject({ ok: false, lost: 2, double_counted: 1, exact: [] });
    expect(verdict.replicas['us-east']).toEqual({ total: 3, expected: 5 });
  });
});
