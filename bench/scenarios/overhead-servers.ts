/**
 * The three servers of the overhead budget, one per process: `express` (a bare Express route),
 * `nest` (the same route in Nest), `nest-full` (the same route with what every lab route carries:
 * the JSON parser, DTO validation, the exception filter, HTTP metrics and OpenTelemetry tracing).
 * Usage: node -r ts-node/register/transpile-only overhead-servers.ts <mode> <port>
 */
import 'reflect-metadata';
import { Body, Controller, Module, Post, HttpCode } from '@nestjs/common';
import { IsInt, IsString, Min } from 'class-validator';

const [mode, portArg] = process.argv.slice(2);
const port = Number(portArg);

class EchoRequestDto {
  @IsString()
  name!: string;

  @IsInt()
  @Min(0)
  value!: number;
}

@Controller()
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: EchoRequestDto) {
    return { ok: true, name: body.name, value: body.value };
  }
}

async function main(): Promise<void> {
  if (mode === 'express') {
    const express = (await import('express')).default;
    const app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => {
      const body = req.body as { name: string; value: number };
      res.json({ ok: true, name: body.name, value: body.value });
    });
    app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
    return;
  }
  const { NestFactory } = await import('@nestjs/core');
  if (mode === 'nest') {
    @Module({ controllers: [EchoController] })
    class BareModule {}
    const app = await NestFactory.create(BareModule, { logger: false });
    await app.listen(port, '127.0.0.1');
    process.stdout.write('ready\n');
    return;
  }
  if (mode === 'nest-full') {
    const { startTracing } = await import('../../src/platform/observability/tracing');
    if (!process.env.BENCH_NO_TRACING) startTracing({ serviceName: 'bench' });
    const { ObservabilityModule } = await import('../../src/platform/observability/observability.module');
    const { createValidationPipe } = await import('../../src/platform/http/validation');
    const { AllExceptionsFilter } = await import('../../src/platform/http/all-exceptions.filter');
    const { jsonBodyParser } = await import('../../src/platform/http/json-body');
    @Module({ imports: process.env.BENCH_NO_METRICS ? [] : [ObservabilityModule], controllers: [EchoController] })
    class FullModule {}
    const app = await NestFactory.create(FullModule, { logger: false, bodyParser: false });
    if (!process.env.BENCH_NO_TRACING) {
      const { httpTracingMiddleware } = await import('../../src/platform/observability/http-tracing.middleware');
      app.use(httpTracingMiddleware());
    }
    app.use(jsonBodyParser('1mb'));
    if (!process.env.BENCH_NO_VALIDATION) app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new AllExceptionsFilter());
    await app.listen(port, '127.0.0.1');
    process.stdout.write('ready\n');
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
