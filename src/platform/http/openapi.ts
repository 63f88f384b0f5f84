import { applyDecorators, INestApplication } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse, DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

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

  @ApiProperty({ description: 'The message again, where clients of the original labs look for it', example: 'quantity must not be greater than 1000' })
  detail!: string;

  @ApiPropertyOptional({ description: 'Only on 500: the id the server log names this error by' })
  correlationId?: string;
}

const ERROR_MEANING: Record<number, string> = {
  400: 'Invalid input: the body, a parameter or a query value breaks its rules (named in `message`/`details`)',
  404: 'No such resource (or route)',
  409: 'Conflict with the current state (taken, duplicate, wrong version)',
  413: 'Request body larger than BODY_LIMIT',
  422: 'Well-formed but not applicable now',
  429: 'Too many waiting requests; bounded queue full',
  500: 'Unexpected error (logged under `correlationId`)',
  503: 'A dependency (PostgreSQL, Redis, Kafka) or the node itself is down, frozen or timed out',
  504: 'A peer or dependency did not answer in time',
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
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorResponseDto] });
  // The labs run on loopback for learning: no operation needs credentials, and saying so is explicit.
  document.security = [];
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{ responses?: Record<string, unknown>; security?: unknown }>) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      operation.security = [];
      operation.responses['500'] ??= {
        description: ERROR_MEANING[500],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
      };
    }
  }
  return document;
}
