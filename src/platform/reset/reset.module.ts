import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LabResetController } from './lab-reset.controller';
import { LabResetService } from './lab-reset.service';

@Module({ imports: [DiscoveryModule], controllers: [LabResetController], providers: [LabResetService] })
export class ResetModule {}
