import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { LabException } from '../../http/lab-exception';
import { opToEdn } from '../edn';
import type { ExperimentDocument, HistoryOp } from '../experiment.contract';
import { EXPERIMENT_DEFAULTS } from '../experiment-limits';
import { ExperimentRegistry } from '../experiment-registry';
import { strategiesOf } from '../experiment-request';
import { ExperimentRunnerService, LiveEvent } from '../experiment-runner.service';
import { ExperimentRepository } from '../persistence/experiment.repository';
import { CreateExperimentRequestDto, NemesisStepDto } from './dto/create-experiment.request.dto';
import {
  CatalogDto,
  ErrorBodyDto,
  ExperimentCreatedDto,
  ExperimentDocumentDto,
  ExperimentEventsQueryDto,
  ExperimentIdParamsDto,
  ExperimentListDto,
  ListExperimentsQueryDto,
} from './dto/experiment.response.dto';

const SSE_KEEPALIVE_MS = 15_000;

/** Experiments: seeded workloads under a fault schedule, recorded op by op and judged by the lab's checker. */
@ApiTags('experiments')
@ApiExtraModels(NemesisStepDto)
@Controller('admin/experiments')
export class ExperimentsController {
  constructor(
    private readonly registry: ExperimentRegistry,
    private readonly runner: ExperimentRunnerService,
    private readonly repository: ExperimentRepository,
  ) {}

  @Get('catalog')
  @ApiOperation({
    summary:
      'Per lab: workloads, nemesis schedules, parameters, defaults and the verdict each strategy is expected to get',
  })
  @ApiOkResponse({ type: CatalogDto })
  catalog(): CatalogDto {
    return {
      labs: this.registry.all().map((lab) => {
        const entry = lab.catalog();
        const strategies = strategiesOf(entry);
        return {
          lab: entry.lab,
          description: entry.description,
          workloads: entry.workloads,
          defaultWorkload: entry.defaultWorkload,
          nemeses: entry.nemeses.map((n) => ({ name: n.name, description: n.description })),
          defaultNemesis: entry.defaultNemesis,
          params: entry.params,
          strategies,
          defaultStrategy: strategies[0],
          ...(entry.faults ? { faults: entry.faults } : {}),
          defaults: { ...EXPERIMENT_DEFAULTS, ...entry.defaults },
          expectations: entry.expectations,
        };
      }),
    };
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Start an experiment: {lab, strategy?, workload?, nemesis?, seed?, concurrency?, duration_ms? or ops?, ...lab params}',
  })
  @ApiBody({ type: CreateExperimentRequestDto })
  @ApiAcceptedResponse({ type: ExperimentCreatedDto })
  @ApiBadRequestResponse({
    type: ErrorBodyDto,
    description: 'A bad field, or an unknown lab, strategy, workload, nemesis, fault or parameter',
  })
  @ApiConflictResponse({ type: ErrorBodyDto, description: 'EXPERIMENT.LAB_BUSY: an experiment on this lab is running' })
  @ApiTooManyRequestsResponse({
    type: ErrorBodyDto,
    description: 'EXPERIMENT.TOO_MANY_RUNNING: the global cap is reached',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorBodyDto,
    description: 'PostgreSQL unreachable, or the app is shutting down',
  })
  start(@Body() body: Record<string, unknown>): Promise<ExperimentCreatedDto> {
    return this.runner.start(body);
  }

  @Get()
  @ApiOperation({ summary: 'Recent experiments, newest first (documents without their history)' })
  @ApiOkResponse({ type: ExperimentListDto })
  @ApiBadRequestResponse({ type: ErrorBodyDto })
  async list(@Query() query: ListExperimentsQueryDto): Promise<ExperimentListDto> {
    const stored = await this.repository.recent(query.limit ?? 50, query.lab);
    return { experiments: stored.map((doc) => this.runner.live(doc.id) ?? doc) as ExperimentDocumentDto[] };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One experiment: status (running, valid, invalid, unknown, aborted), progress and verdict' })
  @ApiOkResponse({ type: ExperimentDocumentDto })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'Not a UUID' })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async get(@Param() params: ExperimentIdParamsDto): Promise<ExperimentDocumentDto> {
    return (await this.document(params.id)) as ExperimentDocumentDto;
  }

  @Get(':id/history')
  @ApiOperation({
    summary: 'The history as JSON lines, one op per line: {index, type, process, f, value, node?, time, error?}',
  })
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'One HistoryOp per line', schema: { type: 'string' } })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async history(@Param() params: ExperimentIdParamsDto, @Res() res: Response): Promise<void> {
    await this.stream(params.id, res, 'application/x-ndjson; charset=utf-8', (op) => JSON.stringify(op));
  }

  @Get(':id/history.edn')
  @ApiOperation({
    summary: "The history in Jepsen's EDN form, one op map per line (for Elle, Knossos and other checkers)",
  })
  @ApiProduces('application/edn')
  @ApiOkResponse({
    description: '{:type :invoke, :f :transfer, :value {...}, :process 3, :time 123, :index 0} per line',
    schema: { type: 'string' },
  })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async historyEdn(@Param() params: ExperimentIdParamsDto, @Res() res: Response): Promise<void> {
    await this.stream(params.id, res, 'application/edn; charset=utf-8', opToEdn);
  }

  @Get(':id/events')
  @ApiOperation({
    summary:
      'Server-Sent Events: `op` (each HistoryOp, id = its index; the earlier ones replayed first), `progress`, then `done` (the final document). ' +
      'A stream is cut after REQUEST_TIMEOUT_MS; EventSource reconnects and, with Last-Event-ID (or ?after=<index>), resumes after the last op it got',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'after',
    required: false,
    type: Number,
    description: 'Replay only ops with a greater index (as Last-Event-ID does)',
  })
  @ApiOkResponse({ description: 'An event stream; it ends after `done`', schema: { type: 'string' } })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'after / Last-Event-ID is not an op index' })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  @ApiTooManyRequestsResponse({
    type: ErrorBodyDto,
    description: 'EXPERIMENT.TOO_MANY_LISTENERS: the run already has 32 followers',
  })
  async events(
    @Param() params: ExperimentIdParamsDto,
    @Query() query: ExperimentEventsQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const id = params.id;
    const after = resumeAfter(query.after, lastEventId);
    const send = (event: LiveEvent) => {
      if (event.type === 'op') {
        if (event.data.index <= after) return;
        res.write(`id: ${event.data.index}\nevent: op\ndata: ${JSON.stringify(event.data)}\n\n`);
      } else {
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
      }
    };
    const open = () => {
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache, no-transform');
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write('retry: 2000\n\n');
    };
    if (this.runner.isRunning(id)) {
      this.runner.assertCanListen(id);
      open();
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
      const close = () => {
        clearInterval(keepalive);
        stop?.();
      };
      // The replay inside listen() sends only `op` events, so `close` never runs before `stop` is set.
      const stop = this.runner.listen(id, (event) => {
        send(event);
        if (event.type === 'done') {
          close();
          res.end();
        }
      });
      res.on('close', close);
      if (stop) return;
      close();
    }
    // Finished (or finished meanwhile): replay the stored history, then the document.
    const doc = await this.document(id);
    if (!res.headersSent) open();
    for await (const page of this.repository.history(id, 5000, after + 1))
      for (const op of page) send({ type: 'op', data: op });
    send({ type: 'progress', data: { progress: doc.progress, ops_recorded: doc.ops_recorded, status: doc.status } });
    send({ type: 'done', data: doc });
    res.end();
  }

  private async document(id: string): Promise<ExperimentDocument> {
    const doc = this.runner.live(id) ?? (await this.repository.find(id));
    if (!doc) throw new LabException('EXPERIMENT.NOT_FOUND', `No experiment ${id}`, 'not_found', { id });
    return doc;
  }

  private async stream(id: string, res: Response, type: string, line: (op: HistoryOp) => string): Promise<void> {
    const live = this.runner.liveHistory(id);
    if (!live) await this.document(id);
    res.status(200).setHeader('Content-Type', type);
    if (live) {
      const snapshot = live.slice();
      for (let i = 0; i < snapshot.length; i += 1000)
        res.write(
          snapshot
            .slice(i, i + 1000)
            .map((op) => `${line(op)}\n`)
            .join(''),
        );
    } else {
      for await (const page of this.repository.history(id)) res.write(page.map((op) => `${line(op)}\n`).join(''));
    }
    res.end();
  }
}

/** Where a resumed stream starts: after ?after= or the Last-Event-ID header (an op index), else from the start. */
function resumeAfter(after: number | undefined, lastEventId: string | undefined): number {
  if (after !== undefined) return after;
  if (lastEventId === undefined || lastEventId === '') return -1;
  if (!/^\d{1,9}$/.test(lastEventId)) {
    throw new LabException('REQUEST.VALIDATION_FAILED', 'Last-Event-ID must be the index of an op', 'invalid', {
      field: 'last-event-id',
      value: lastEventId.slice(0, 64),
    });
  }
  return Number(lastEventId);
}
