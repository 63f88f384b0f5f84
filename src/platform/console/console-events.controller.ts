import { Controller, Get, HttpCode, OnModuleDestroy, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config';
import { LabName, isLabName } from '../config/lab-plan';
import { LabException } from '../http/lab-exception';
import { CONSOLE_TICK_MS, ConsoleStateService, LabSnapshot } from './console-state.service';

export class ConsoleEventsQueryDto {
  /** Comma list of labs to watch (default: every lab this process runs). */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z]+(,[a-z]+)*$/, { message: 'labs must be a comma list of lab names' })
  labs?: string;
}

/** At most this many browsers watch at once; each costs a connection, not a poll. */
export const MAX_CONSOLE_STREAMS = 32;
const HEARTBEAT_MS = 15_000;

/**
 * Live state for the console, pushed by Server-Sent Events: a `state` event per lab whenever what
 * its endpoints answer changes (read on a server-side tick), and a comment line as a heartbeat.
 */
@ApiTags('console')
@Controller('admin/console')
export class ConsoleEventsController implements OnModuleDestroy {
  private readonly streams = new Set<Response>();

  constructor(
    private readonly config: AppConfig,
    private readonly state: ConsoleStateService,
  ) {}

  @Get('events')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'An event stream: `event: state` with a LabSnapshot as data',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiBadRequestResponse({ description: 'labs is not a comma list of lab names' })
  @ApiNotFoundResponse({ description: 'CONSOLE.UNKNOWN_LAB: a lab not running here' })
  @ApiServiceUnavailableResponse({ description: 'CONSOLE.TOO_MANY_STREAMS' })
  @ApiOperation({
    summary: `Server-Sent Events: \`state\` (one lab's nodes, strategies and reads) when it changes, read every ${CONSOLE_TICK_MS} ms; at most ${MAX_CONSOLE_STREAMS} streams (503 CONSOLE.TOO_MANY_STREAMS)`,
  })
  events(@Query() query: ConsoleEventsQueryDto, @Req() req: Request, @Res() res: Response): void {
    const labs = this.labs(query.labs);
    if (this.streams.size >= MAX_CONSOLE_STREAMS) {
      throw new LabException(
        'CONSOLE.TOO_MANY_STREAMS',
        `At most ${MAX_CONSOLE_STREAMS} console streams at once`,
        'unavailable',
        {
          max: MAX_CONSOLE_STREAMS,
        },
      );
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 2000\n\n`);
    this.streams.add(res);
    const send = (snapshot: LabSnapshot) => res.write(`event: state\ndata: ${JSON.stringify(snapshot)}\n\n`);
    const unsubscribe = labs.map((lab) => this.state.subscribe(lab, send));
    const heartbeat = setInterval(() => res.write(`: ping\n\n`), HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      for (const off of unsubscribe) off();
      this.streams.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
  }

  @Get('labs/:lab/state')
  @ApiNotFoundResponse({ description: 'CONSOLE.UNKNOWN_LAB' })
  @ApiOperation({ summary: "One lab's console state now (what the stream pushes): nodes up/down, strategies, reads" })
  snapshot(@Param('lab') lab: string): Promise<LabSnapshot> {
    return this.state.snapshot(this.labs(lab)[0]);
  }

  @Post('labs/:lab/refresh')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'The lab is read now; watchers get the new state if it changed' })
  @ApiNotFoundResponse({ description: 'CONSOLE.UNKNOWN_LAB' })
  @ApiOperation({
    summary: 'Read a watched lab now instead of at the next tick (the console calls it after a control)',
  })
  refresh(@Param('lab') lab: string): { refreshing: string } {
    const name = this.labs(lab)[0];
    this.state.refresh(name);
    return { refreshing: name };
  }

  onModuleDestroy(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private labs(list: string | undefined): LabName[] {
    const running = [...this.config.labs.keys()];
    if (!list) return running;
    const names = [...new Set(list.split(','))];
    const unknown = names.filter((n) => !isLabName(n) || !this.config.labs.has(n));
    if (unknown.length > 0) {
      throw new LabException('CONSOLE.UNKNOWN_LAB', `Not running here: ${unknown.join(', ')}`, 'not_found', {
        running,
      });
    }
    return names as LabName[];
  }
}
