import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { ApiErrors } from '../http/openapi';

/** /metrics, documented: the Prometheus module's own controller under the platform tag. */
@ApiTags('platform')
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics of the whole app (every node port serves the same at /metrics)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The Prometheus text exposition format',
    content: {
      'text/plain': {
        schema: { type: 'string', example: 'http_requests_total{method="GET",route="/health",status="200"} 3\n' },
      },
    },
  })
  @ApiErrors(400)
  override index(@Res({ passthrough: true }) response: Response): Promise<string> {
    return super.index(response);
  }
}
