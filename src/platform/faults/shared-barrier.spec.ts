import { SharedBarrier } from './shared-barrier';

describe('SharedBarrier (argument checks; its Redis behaviour is proven in test/processes/bank-instances)', () => {
  it('refuses a count below 1 or a timeout of 0, as Barrier does', () => {
    const redis = {} as never;
    expect(() => new SharedBarrier(redis, 'k', 0, 1000)).toThrow(RangeError);
    expect(() => new SharedBarrier(redis, 'k', 2, 0)).toThrow(RangeError);
    const barrier = new SharedBarrier(redis, 'k', 2, 1000);
    expect(() => barrier.follow(1.5, 1000)).toThrow(RangeError);
    barrier.follow(3, 500);
    expect(barrier.size).toBe(3);
  });
});
