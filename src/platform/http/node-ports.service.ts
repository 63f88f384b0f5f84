import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AppConfig } from '../config/app-config';
import { NodeEndpoint } from '../config/labs-selection';
import { answerClientErrorsAsJson } from './client-error';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Paths a node port serves as they are, without the node's route prefix. */
const UNPREFIXED = /^\/(metrics|docs|docs-json)(\/|\?|$)/;

interface Listener {
  endpoint: NodeEndpoint;
  server?: Server;
  sockets: Set<Socket>;
}

/**
 * Every node also listens on its own port and answers there without its prefix, exactly like the
 * seed service: `GET :8001/stats` is served as `GET /orders/consumer/stats`. A node can be taken
 * down (its port stops answering, like a dead container) and brought back.
 */
@Injectable()
export class NodePortsService implements OnApplicationShutdown {
  private readonly logger = new Logger('NodePorts');
  private readonly listeners = new Map<string, Listener>();
  private handler?: Handler;

  constructor(private readonly config: AppConfig) {}

  async openAll(handler: Handler): Promise<void> {
    this.handler = handler;
    for (const endpoint of this.config.endpoints) {
      this.listeners.set(key(endpoint.lab, endpoint.node), { endpoint, sockets: new Set() });
      await this.open(endpoint.lab, endpoint.node);
    }
  }

  isUp(lab: string, node: string): boolean {
    return this.listeners.get(key(lab, node))?.server !== undefined;
  }

  endpoint(lab: string, node: string): NodeEndpoint | undefined {
    return this.listeners.get(key(lab, node))?.endpoint;
  }

  /** The port a node's server actually listens on (its planned one, or the free port picked for port 0). */
  boundPort(lab: string, node: string): number | undefined {
    const address = this.listeners.get(key(lab, node))?.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async open(lab: string, node: string): Promise<void> {
    const listener = this.listeners.get(key(lab, node));
    if (!listener || listener.server || !this.handler) return;
    const handler = this.handler;
    const prefix = `/${listener.endpoint.route}`;
    const server = createServer((req, res) => {
      if (!UNPREFIXED.test(req.url ?? '/')) req.url = prefix + (req.url ?? '/');
      handler(req, res);
    });
    server.keepAliveTimeout = 5000;
    answerClientErrorsAsJson(server);
    server.on('connection', (socket: Socket) => {
      listener.sockets.add(socket);
      socket.on('close', () => listener.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listener.endpoint.port, this.config.env.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    listener.server = server;
  }

  /** Closes the node's port at once, dropping open connections as a killed process would. */
  async close(lab: string, node: string): Promise<void> {
    const listener = this.listeners.get(key(lab, node));
    const server = listener?.server;
    if (!listener || !server) return;
    listener.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of listener.sockets) socket.destroy();
    listener.sockets.clear();
    await closed;
  }

  /**
   * Graceful: every node port stops accepting, in-flight requests finish (at most `limitMs`), idle
   * keep-alive connections close as they go idle, then what is left is dropped. True when all finished.
   */
  async drainAll(limitMs: number): Promise<boolean> {
    const servers = [...this.listeners.values()].flatMap((l) => (l.server ? [{ l, server: l.server }] : []));
    const results = await Promise.all(
      servers.map(({ l, server }) => {
        l.server = undefined;
        return new Promise<boolean>((resolve) => {
          const idle = setInterval(() => server.closeIdleConnections(), 50);
          const force = setTimeout(() => {
            clearInterval(idle);
            for (const socket of l.sockets) socket.destroy();
            resolve(false);
          }, limitMs);
          server.close(() => {
            clearInterval(idle);
            clearTimeout(force);
            resolve(true);
          });
          server.closeIdleConnections();
        });
      }),
    );
    if (servers.length > 0) this.logger.log('node ports closed');
    return results.every(Boolean);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drainAll(3000);
  }
}

function key(lab: string, node: string): string {
  return `${lab}:${node}`;
}
