import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyDecorators, INestApplication } from '@nestjs/common';
import { isAdminWrite } from './request-guards';
import {
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  DocumentBuilder,
  OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';

/** The uniform error body every route answers with (AllExceptionsFilter writes it). */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ description: 'Stable machine-readable code, `AREA.REASON`', example: 'REQUEST.VALIDATION_FAILED' })
  code!: string;

  @ApiProperty({ example: 'quantity must not be greater than 1000' })
  message!: string;

  @ApiPropertyOptional({ description: 'What exactly was wrong (field errors, the conflicting value, ...)' })
  details?: unknown;

  @ApiProperty({
    description: 'The message again, where clients of the original labs look for it',
    example: 'quantity must not be greater than 1000',
  })
  detail!: string;

  @ApiPropertyOptional({ description: 'Only on 500: the id the server log names this error by' })
  correlationId?: string;
}

const ERROR_MEANING: Record<number, string> = {
  400: 'Invalid input: the body, a parameter or a query value breaks its rules (named in `message`/`details`)',
  401: 'Admin write without the right token (only when the app runs with ADMIN_TOKEN)',
  403: 'A write sent by a browser page of another origin',
  404: 'No such resource (or route)',
  409: 'Conflict with the current state (taken, duplicate, wrong version)',
  413: 'Request body larger than BODY_LIMIT',
  422: 'Well-formed but not applicable now',
  429: 'Too many waiting requests; bounded queue full',
  500: 'Unexpected error (logged under `correlationId`)',
  503: 'A dependency (PostgreSQL, Redis, Kafka) or the node itself is down, frozen or timed out',
  504: 'No answer in time: REQUEST_TIMEOUT_MS passed, or a peer or dependency did not answer',
};

/**
 * Documents the error statuses a route can give, all with the uniform error body:
 * `@ApiErrors(400, 404, 503)`. 500 is documented everywhere by the document builder.
 */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: ERROR_MEANING[status] ?? `Error ${status}`, type: ErrorResponseDto }),
    ),
  );
}

export interface ApiTagDoc {
  name: string;
  description: string;
}

/** The OpenAPI document of the app as built (served at /docs, generated offline by src/openapi.ts). */
export function buildOpenApiDocument(app: INestApplication, tags: ApiTagDoc[]): OpenAPIObject {
  let builder = new DocumentBuilder()
    .setTitle('Distributed Systems Labs')
    .setDescription(
      'Five labs on real PostgreSQL, Redis and Kafka. Every node is served here under its prefix ' +
        '(/booking, /bank, /orders/producer, /counter/gateway, /replication/replica1, ...) and on its own port without it. ' +
        'Every error answers with the same JSON body: `{ statusCode, code, message, details }`.',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'the main port (3000 unless PORT says otherwise)');
  for (const tag of tags) builder = builder.addTag(tag.name, tag.description);
  builder = builder
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, needed for admin writes only when it is set' },
      'adminBearer',
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-admin-token', description: 'ADMIN_TOKEN, the same as the bearer token' },
      'adminHeader',
    );
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorResponseDto] });
  const returned = handlerResponseSchemas();
  // What the edge answers for any route (request-guards, json-body, the node-down switch) is
  // documented here once rather than on every handler.
  document.security = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as Array<[string, OperationLike]>) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      documentReturnedBody(operation, returned);
      const edge = [400, 500, 504];
      if (method !== 'get' && method !== 'head') edge.push(403, 413);
      const admin = isAdminWrite(method, path);
      if (admin) edge.push(401);
      if (!(operation.tags ?? []).includes('platform')) edge.push(503);
      for (const status of edge) operation.responses[String(status)] ??= errorResponse(status);
      // No credentials, except the admin token on admin writes when the app is started with ADMIN_TOKEN.
      operation.security = admin ? [{}, { adminBearer: [] }, { adminHeader: [] }] : [];
    }
  }
  return document;
}

interface OperationLike {
  operationId?: string;
  tags?: string[];
  responses?: Record<string, unknown>;
  security?: unknown;
}

function errorResponse(status: number) {
  return {
    description: ERROR_MEANING[status] ?? `Error ${status}`,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
  };
}

type Schema = Record<string, unknown>;

/**
 * The handlers' return types as schemas, written at build time by scripts/openapi-response-types.ts
 * next to the compiled app (dist/openapi-responses.json); absent when running from source.
 */
function handlerResponseSchemas(): Map<string, Schema> {
  const file = join(__dirname, '..', '..', 'openapi-responses.json');
  if (!existsSync(file)) return new Map();
  return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Schema>));
}

/** A success response without a declared type gets the schema of what its handler returns. */
function documentReturnedBody(operation: OperationLike, returned: Map<string, Schema>): void {
  if (!operation.operationId || returned.size === 0) return;
  const [controller, method] = operation.operationId.split('_');
  const schema = returned.get(`${controller}.${method}`) ?? factoryMade(controller, method, returned);
  if (!schema) return;
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    if (!/^2\d\d$/.test(status) || status === '204') continue;
    const r = response as { content?: Record<string, { schema?: Schema }> };
    const current = r.content?.['application/json']?.schema;
    const declared =
      r.content && (!current || current.$ref || current.properties || current.items || current.type !== 'object');
    if (declared) continue;
    r.content = { ...(r.content ?? {}), 'application/json': { schema } };
  }
}

/**
 * Controllers made by a factory carry a runtime name of their own (UsEastRegionController,
 * Replica1Controller) around the class the source declares (RegionController, ReplicaController).
 */
function factoryMade(controller: string, method: string, returned: Map<string, Schema>): Schema | undefined {
  const runtime = controller.replace(/\d+/g, '');
  const matches = [...returned.keys()].filter((key) => {
    const [declared, m] = key.split('.');
    return m === method && runtime.endsWith(declared);
  });
  return matches.length === 1 ? returned.get(matches[0]) : undefined;
}
