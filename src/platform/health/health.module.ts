import { Global, Module } from '@nestjs/common';
import { DependencyHealthService } from './dependency-health.service';
import { PlatformController } from './platform.controller';

@Global()
@Module({ controllers: [PlatformController], providers: [DependencyHealthService], exports: [DependencyHealthService] })
export class HealthModule {}
