import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where `npm run build` put the console (dist/console): beside the compiled platform when running
 * from dist, else under the working directory (tests run the sources with ts-jest).
 */
export function findConsoleDir(): string | undefined {
  const candidates = [resolve(__dirname, '..', '..', 'console'), resolve(process.cwd(), 'dist', 'console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** Built files carry a content hash in their name, so they may be cached for good. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page itself is revalidated on every load, so a rebuild is picked up at once. */
export const REVALIDATE = 'no-cache';
