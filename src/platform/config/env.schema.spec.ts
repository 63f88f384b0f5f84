import { ConfigError, loadAppConfig } from './app-config';

describe('loadAppConfig', () => {
  it('applies the defaults', () => {
    const config = loadAppConfig({});
    expect(config.port).toBe(3000);
    expect(config.env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/labs');
    expect(config.redlockUrls).toEqual(['redis://127.0.0.1:6379']);
    expect(config.endpoints).toHaveLength(15);
  });

  it.each([
    ['DATABASE_URL', 'mysql://nope'],
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['REDIS_URL', 'localhost:6379'],
    ['KAFKA_BROKERS', 'kafka'],
    ['LABS', 'nope'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_SECRET', 'too-short'],
    ['NODE_SECRET', 'sixteen chars with spaces'],
  ])('fails fast on %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadAppConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadAppConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('puts one selected lab on the seed ports and finds peers on the same layout', () => {
    const config = loadAppConfig({ LABS: 'counter:us-east' });
    expect(config.endpoints).toEqual([{ lab: 'counter', node: 'us-east', route: 'counter/us-east', port: 8001 }]);
    expect(config.nodeUrl('counter', 'us-west')).toBe('http://127.0.0.1:8002');
  });

  it('sizes BODY_LIMIT in bytes as the body parser does', () => {
    expect(loadAppConfig({}).bodyLimitBytes).toBe(1024 * 1024);
    expect(loadAppConfig({ BODY_LIMIT: '100kb' }).bodyLimitBytes).toBe(102400);
    expect(loadAppConfig({ BODY_LIMIT: '512B' }).bodyLimitBytes).toBe(512);
  });

  it('lets NODE_URLS point a peer elsewhere', () => {
    const config = loadAppConfig({ LABS: 'counter:gateway', NODE_URLS: 'counter:us-east=http://east:8001/' });
    expect(config.nodeUrl('counter', 'us-east')).toBe('http://east:8001');
    expect(() => loadAppConfig({ NODE_URLS: 'counter:mars=http://x:1' })).toThrow(/NODE_URLS/);
  });
});

describe('exposure settings', () => {
  it('fails fast when bound beyond loopback without ADMIN_TOKEN', () => {
    expect(() => loadAppConfig({ HOST: '0.0.0.0' })).toThrow(/ADMIN_TOKEN/);
    expect(loadAppConfig({ HOST: '0.0.0.0', ADMIN_TOKEN: 'a-long-enough-token' }).env.ADMIN_TOKEN).toBe(
      'a-long-enough-token',
    );
    expect(loadAppConfig({ HOST: '127.0.0.1' }).env.ADMIN_TOKEN).toBeUndefined();
    expect(loadAppConfig({ HOST: '::1' }).env.HOST).toBe('::1');
    expect(() => loadAppConfig({ HOST: 'localhost', ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN/);
  });

  it('validates REQUEST_TIMEOUT_MS', () => {
    expect(loadAppConfig({}).env.REQUEST_TIMEOUT_MS).toBe(60000);
    expect(loadAppConfig({ REQUEST_TIMEOUT_MS: '5000' }).env.REQUEST_TIMEOUT_MS).toBe(5000);
    expect(() => loadAppConfig({ REQUEST_TIMEOUT_MS: '10' })).toThrow(/REQUEST_TIMEOUT_MS/);
    expect(() => loadAppConfig({ REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/REQUEST_TIMEOUT_MS/);
  });
});
