import { Global, Module } from '@nestjs/common';
import { DependencyHealthService } from './dependency-health.service';
import { HealthController } from './health.controller';
import { PlatformController } from './platform.controller';

@Global()
@Module({
  controllers: [HealthController, PlatformController],
  providers: [DependencyHealthService],
  exports: [DependencyHealthService],
})
export class HealthModule {}
