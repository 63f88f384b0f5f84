import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { OpenTelemetryModule } from 'nestjs-otel';
import { HttpMetricsMiddleware, httpMetricProviders } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';

/** One Prometheus registry for the whole app at /metrics (every node port serves it too). */
@Global()
@Module({
  imports: [
    PrometheusModule.register({ path: '/metrics', controller: MetricsController, defaultMetrics: { enabled: true } }),
    OpenTelemetryModule.forRoot({ metrics: { hostMetrics: false } }),
  ],
  providers: [...httpMetricProviders, HttpMetricsMiddleware],
  exports: [PrometheusModule, OpenTelemetryModule],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
