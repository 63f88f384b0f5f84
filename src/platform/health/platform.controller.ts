import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { AppConfig } from '../config/app-config';
import { LabName, isLabName, nodesOf } from '../config/lab-plan';
import { NodeLifecycleService } from '../faults/node-lifecycle.service';
import { NodePortsService } from '../http/node-ports.service';
import { LabException } from '../http/lab-exception';
import { StrategyRegistry } from '../strategy/strategy-registry';
import { StrategySelectionService } from '../strategy/strategy-selection.service';
import { DependencyHealthService } from './dependency-health.service';
import { ApiErrors } from '../http/openapi';

export class SelectPortStrategyRequestDto {
  /** The strategy key, e.g. `pessimistic`. */
  @IsString()
  @MaxLength(64)
  strategy!: string;
}

/** The main port's own endpoints: the app's health and the uniform admin view of every lab. */
@ApiTags('platform')
@Controller()
export class PlatformController {
  constructor(
    private readonly config: AppConfig,
    private readonly health: DependencyHealthService,
    private readonly registry: StrategyRegistry,
    private readonly selection: StrategySelectionService,
    private readonly ports: NodePortsService,
    private readonly lifecycle: NodeLifecycleService,
  ) {}

  @Get('health')
  @ApiOperation({
    summary:
      "Health of the app, its dependencies (postgres, redis, kafka, and a lab's own: the replication lab's streaming primary and standbys while postgres-streaming is selected) and each selected lab",
    description:
      'status is `degraded` while a lab is down or a dependency is `degraded` (it answers but is not doing its whole job, e.g. a standby cut off or with replay paused).',
  })
  healthCheck() {
    const labs = Object.fromEntries([...this.config.labs.keys()].map((lab) => [lab, this.health.lab(lab)]));
    const dependencies = this.health.all();
    const degraded =
      Object.values(labs).some((l) => l.status === 'down') ||
      Object.values(dependencies).some((d) => d.status === 'degraded');
    return { status: degraded ? 'degraded' : 'ok', dependencies, labs };
  }

  @Get('admin/labs')
  @ApiOperation({
    summary: 'Labs, their nodes and ports, strategies and the current selection',
    description:
      'In process mode (LAB_PROCESSES=1) each node also carries pid, uptime_ms, restarts and processes (one entry per instance).',
  })
  async labs() {
    return {
      labs: await Promise.all([...this.config.labs.entries()].map(([lab, nodes]) => this.describe(lab, nodes))),
    };
  }

  @Get('admin/processes')
  @ApiOperation({
    summary:
      'Process mode (LAB_PROCESSES=1): every node process — lab, node, instance, state, pid, uptime_ms, restarts, last_exit (signal, crash point)',
    description:
      'Answered by the supervisor in process mode; in one-process mode the list is empty (every node shares this process).',
  })
  processes() {
    return { mode: 'one-process', pid: process.pid, processes: [] as unknown[] };
  }

  @Get('admin/labs/:lab')
  @ApiErrors(404)
  @ApiOperation({ summary: 'One lab: nodes, ports, strategies and the current selection' })
  async lab(@Param('lab') lab: string) {
    return this.describe(this.selectedLab(lab), this.config.labs.get(lab as LabName)!);
  }

  @Post('admin/labs/:lab/strategies/:port')
  @ApiErrors(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Select the strategy of one port of a lab (persisted; every instance follows)' })
  async select(@Param('lab') lab: string, @Param('port') port: string, @Body() body: SelectPortStrategyRequestDto) {
    return this.selection.select(this.selectedLab(lab), port, body.strategy);
  }

  @Post('admin/labs/:lab/nodes/:node/crash')
  @ApiErrors(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Crash a node now (its port stops answering); it restarts by itself after 3 s' })
  async crash(@Param('lab') lab: string, @Param('node') node: string) {
    this.selectedNode(lab, node);
    return this.lifecycle.crash(lab, node, 'admin', 3000);
  }

  @Post('admin/labs/:lab/nodes/:node/restart')
  @ApiErrors(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Restart a crashed node at once (as `docker compose restart` would)' })
  async restart(@Param('lab') lab: string, @Param('node') node: string) {
    this.selectedNode(lab, node);
    return this.lifecycle.restart(lab, node);
  }

  private async describe(lab: LabName, nodes: string[]) {
    const ports = await Promise.all(
      this.registry
        .all()
        .filter((p) => p.lab === lab)
        .map(async (p) => ({
          port: p.port,
          current: await this.selection.current(p.lab, p.port),
          default: p.defaultKey,
          strategies: [...p.strategies.values()].map((s) => ({ key: s.meta.key, description: s.meta.description })),
        })),
    );
    return {
      lab,
      health: this.health.lab(lab),
      nodes: nodes.map((node) => {
        const endpoint =
          this.ports.endpoint(lab, node) ?? this.config.endpoints.find((e) => e.lab === lab && e.node === node);
        return {
          node,
          port: endpoint?.port,
          prefix: endpoint ? `/${endpoint.route}` : undefined,
          url: this.config.nodeUrl(lab, node),
          ...this.lifecycle.state(lab, node),
        };
      }),
      strategy_ports: ports,
    };
  }

  private selectedLab(lab: string): LabName {
    if (!isLabName(lab) || !this.config.labs.has(lab)) {
      throw new LabException('ADMIN.UNKNOWN_LAB', `Lab "${lab}" is not running here`, 'not_found', {
        running: [...this.config.labs.keys()],
      });
    }
    return lab;
  }

  private selectedNode(lab: string, node: string): void {
    const name = this.selectedLab(lab);
    if (!nodesOf(name).includes(node) || !this.config.isSelected(name, node)) {
      throw new LabException('ADMIN.UNKNOWN_NODE', `Node "${node}" of ${lab} is not running here`, 'not_found', {
        running: this.config.labs.get(name),
      });
    }
  }
}
