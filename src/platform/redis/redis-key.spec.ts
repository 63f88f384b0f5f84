import { redisKeyPart } from './redis-key';

describe('redisKeyPart', () => {
  it('keeps plain names and escapes separators, globs and the escape character itself', () => {
    expect(redisKeyPart('views_2.total-1')).toBe('views_2.total-1');
    expect(redisKeyPart('a:b')).toBe('a%3Ab');
    expect(redisKeyPart('*?[')).toBe('%2A%3F%5B');
    expect(redisKeyPart('%3A')).toBe('%253A');
    expect(redisKeyPart('é')).toBe('%C3%A9');
  });

  it('is injective: distinct inputs never share a key part', () => {
    const inputs = ['a:b', 'a%3Ab', 'a_b', 'a.b', 'names', ':names', 'a', 'a:', ''];
    expect(new Set(inputs.map(redisKeyPart)).size).toBe(inputs.length);
  });
});
