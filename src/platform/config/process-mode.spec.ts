import { ConfigError, loadAppConfig } from './app-config';

describe('process mode configuration', () => {
  it('LAB_PROCESSES=1 makes a supervisor; the processes it starts are supervised', () => {
    expect(loadAppConfig({ LAB_PROCESSES: '1' }).isSupervisor).toBe(true);
    const child = loadAppConfig({ LAB_PROCESSES: '0', LAB_SUPERVISED: '1', LABS: 'bank:bank', LAB_NODE_PORT: '0' });
    expect(child.isSupervisor).toBe(false);
    expect(child.isSupervised).toBe(true);
    expect(child.endpoints).toEqual([expect.objectContaining({ lab: 'bank', node: 'bank', port: 0 })]);
    expect(loadAppConfig({}).isSupervisor).toBe(false);
  });

  it('rejects bad values naming the variable', () => {
    expect(() => loadAppConfig({ LAB_PROCESSES: 'yes' })).toThrow(/LAB_PROCESSES/);
    expect(() => loadAppConfig({ LAB_PROCESSES: '1', LAB_INSTANCES: 'booking' })).toThrow(/LAB_INSTANCES/);
    expect(() => loadAppConfig({ LAB_PROCESSES: '1', LAB_INSTANCES: 'shop=2' })).toThrow(/unknown lab "shop"/);
    expect(() => loadAppConfig({ LAB_PROCESSES: '1', LAB_INSTANCES: 'booking=9' })).toThrow(/1 to 8/);
    expect(() => loadAppConfig({ LAB_PROCESSES: '1', LAB_INSTANCES: 'booking=2,booking=3' })).toThrow(/twice/);
    expect(() => loadAppConfig({ LAB_PROCESSES: '1', LABS: 'bank', LAB_INSTANCES: 'booking=2' })).toThrow(
      /not selected/,
    );
    expect(() => loadAppConfig({ LAB_INSTANCES: 'booking=2' })).toThrow(/LAB_PROCESSES=1/);
    expect(() => loadAppConfig({ LABS: 'booking,bank', LAB_NODE_PORT: '9000' })).toThrow(ConfigError);
  });

  it('LAB_INSTANCES counts per lab; the child env hands every node URL on', () => {
    const config = loadAppConfig({ LAB_PROCESSES: '1', LAB_INSTANCES: 'booking=3,bank=2', NODE_PORTS_SHIFT: '100' });
    expect(config.instancesOf('booking')).toBe(3);
    expect(config.instancesOf('orders')).toBe(1);
    const env = config.childEnv({ LABS: 'bank:bank', LAB_INSTANCES: undefined, NODE_URLS: config.nodeUrlList });
    expect(env.LAB_INSTANCES).toBeUndefined();
    expect(env.NODE_URLS).toContain('bank:bank=http://127.0.0.1:8200');
    expect(loadAppConfig({ ...env, LAB_PROCESSES: '0' }).nodeUrl('booking', 'booking')).toBe('http://127.0.0.1:8100');
  });
});
