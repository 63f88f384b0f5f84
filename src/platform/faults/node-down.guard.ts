import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { AppConfig } from '../config/app-config';
import { NodeEndpoint } from '../config/labs-selection';
import { LabException } from '../http/lab-exception';
import { NodeLifecycleService } from './node-lifecycle.service';

/**
 * A crashed node answers 503 on the main port for every request its controllers would serve.
 * The router decides which controller that is, so every spelling Express accepts
 * (`/Counter/US-East/health`, a trailing slash, percent-encoded characters) is covered; the
 * prefix middleware (`nodeOfPath`) covers the paths no route matches.
 */
@Injectable()
export class NodeDownGuard implements CanActivate {
  private readonly byRoute: Map<string, NodeEndpoint>;

  constructor(
    private readonly lifecycle: NodeLifecycleService,
    config: AppConfig,
  ) {
    this.byRoute = new Map(config.endpoints.map((e) => [e.route, e]));
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const paths = [Reflect.getMetadata(PATH_METADATA, context.getClass()) as string | string[] | undefined].flat();
    for (const path of paths) {
      const endpoint = typeof path === 'string' ? this.byRoute.get(path.replace(/^\/+|\/+$/g, '')) : undefined;
      if (endpoint && this.lifecycle.isDown(endpoint.lab, endpoint.node)) throw nodeDown(endpoint);
    }
    return true;
  }
}

export function nodeDown(endpoint: Pick<NodeEndpoint, 'lab' | 'node'>): LabException {
  const { lab, node } = endpoint;
  return new LabException(
    'NODE.DOWN',
    `${lab}:${node} is down (crashed); it restarts by itself or via POST /admin/labs/${lab}/nodes/${node}/restart`,
    'unavailable',
    { lab, node },
  );
}

/**
 * The node whose prefix a request path falls under, matched the way Express routes: case-insensitively,
 * after percent-decoding, ignoring repeated and trailing slashes.
 */
export function nodeOfPath<E extends Pick<NodeEndpoint, 'route'>>(url: string, endpoints: readonly E[]): E | undefined {
  const path = normalizePath(url);
  return endpoints.find((e) => {
    const prefix = `/${e.route.toLowerCase()}`;
    return path === prefix || path.startsWith(`${prefix}/`);
  });
}

function normalizePath(url: string): string {
  const raw = url.split(/[?#]/, 1)[0];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    decoded = raw.replace(/%([0-9a-f]{2})/gi, (m, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return /[\w.~/-]/.test(c) ? c : m;
    });
  }
  return decoded.replace(/\/{2,}/g, '/').toLowerCase();
}
