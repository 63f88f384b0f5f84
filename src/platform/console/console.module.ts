import { Module } from '@nestjs/common';
import { ConsoleEventsController } from './console-events.controller';
import { ConsoleStateService } from './console-state.service';
import { ConsoleController } from './console.controller';

/** Serves the browser console at /console and pushes the labs' live state to it. */
@Module({ controllers: [ConsoleController, ConsoleEventsController], providers: [ConsoleStateService] })
export class ConsoleModule {}
