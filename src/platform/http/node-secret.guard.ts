import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { LabException } from './lab-exception';
import { ErrorResponseDto } from './openapi';

/** The header node-to-node calls carry NODE_SECRET in. */
export const NODE_SECRET_HEADER = 'x-node-secret';

/**
 * With NODE_SECRET set, an endpoint only nodes call (anti-entropy, log shipping, catch-up)
 * refuses a request without the secret (401) or with another one (403). Unset, it is open, as
 * on the seeds.
 */
@Injectable()
export class NodeSecretGuard implements CanActivate {
  private readonly secret?: Buffer;

  constructor(config: AppConfig) {
    this.secret = config.env.NODE_SECRET ? Buffer.from(config.env.NODE_SECRET) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.secret || context.getType() !== 'http') return true;
    const sent = context.switchToHttp().getRequest<Request>().headers[NODE_SECRET_HEADER];
    if (typeof sent !== 'string' || sent === '') {
      throw new LabException(
        'NODE.SECRET_REQUIRED',
        `Node-to-node endpoint: send the deployment's NODE_SECRET in the ${NODE_SECRET_HEADER} header`,
        'unauthorized',
      );
    }
    const given = Buffer.from(sent);
    if (given.length !== this.secret.length || !timingSafeEqual(given, this.secret)) {
      throw new LabException(
        'NODE.SECRET_MISMATCH',
        `The ${NODE_SECRET_HEADER} header does not match this deployment's NODE_SECRET`,
        'forbidden',
      );
    }
    return true;
  }
}

/** Marks a route that only other nodes call: guarded by NODE_SECRET when it is set, and documented so. */
export function NodeToNode(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(NodeSecretGuard),
    ApiHeader({
      name: NODE_SECRET_HEADER,
      required: false,
      description: 'Required when the deployment sets NODE_SECRET (node-to-node calls carry it)',
    }),
    ApiResponse({
      status: 401,
      description: 'NODE_SECRET is set and the request did not carry it (NODE.SECRET_REQUIRED)',
      type: ErrorResponseDto,
    }),
    ApiResponse({
      status: 403,
      description: 'The request carried another secret (NODE.SECRET_MISMATCH)',
      type: ErrorResponseDto,
    }),
  );
}
