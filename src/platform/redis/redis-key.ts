/**
 * A piece of user input (a counter name, an id) made safe to embed in a Redis key: every character
 * outside [A-Za-z0-9_.-] is percent-encoded, so the part can never contain the `:` that separates a
 * lab's namespaces, nor glob characters that would widen a SCAN MATCH.
 */
export function redisKeyPart(userText: string): string {
  return userText.replace(/[^A-Za-z0-9_.-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
