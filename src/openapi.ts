/**
 * Prints the OpenAPI document of a LABS=all app to stdout (or writes it to the file named by the
 * first argument) without listening and without any dependency: Nest's preview mode builds the
 * module graph but instantiates nothing, so no database, Redis or Kafka is touched.
 * `npm run lint:openapi` lints what this writes.
 */
import { writeFileSync } from 'node:fs';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { openApiDocument } from './bootstrap';
import { loadAppConfig } from './platform/config/app-config';

export async function generateOpenApiDocument(env: Record<string, string | undefined> = {}): Promise<OpenAPIObject> {
  const config = loadAppConfig({ LABS: 'all', ...env });
  // Swagger only warns about two DTO classes of one name with different schemas (one schema wins,
  // silently, for both routes): here that is an error.
  const duplicates: string[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    error: (message: unknown) => process.stderr.write(`${String(message)}\n`),
    warn: (message: unknown) => {
      if (String(message).includes('Duplicate DTO')) duplicates.push(String(message).split('\n')[0]);
    },
  };
  const app = await NestFactory.create(AppModule.forRoot(config), { preview: true, logger, abortOnError: false });
  try {
    const document = openApiDocument(app, config);
    if (duplicates.length > 0) throw new Error(duplicates.join('\n'));
    return document;
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  generateOpenApiDocument()
    .then((document) => {
      const json = `${JSON.stringify(document, null, 2)}\n`;
      if (process.argv[2]) writeFileSync(process.argv[2], json);
      else process.stdout.write(json);
    })
    .catch((err: unknown) => {
      process.stderr.write(`openapi: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}
