import { Injectable } from '@nestjs/common';
import { StalenessReport, bucketOf } from '../domain/staleness-report';
import { REPLICA_NAMES } from '../replication.config';
import { ReplicationMetrics } from '../replication.metrics';

/** The client's live staleness report: every replica read it makes is a sample. */
@Injectable()
export class StalenessReportService {
  private readonly report = new StalenessReport();
  private since = new Date().toISOString();

  constructor(private readonly metrics: ReplicationMetrics) {}

  record(replica: string, sinceWriteMs: number, fresh: boolean): void {
    this.report.record(replica, sinceWriteMs, fresh);
    this.metrics.readFreshness.inc({
      replica,
      le: bucketOf(Math.max(0, sinceWriteMs)),
      outcome: fresh ? 'fresh' : 'stale',
    });
  }

  view() {
    return {
      description:
        'Probability that a replica read already sees a write, by time since that write (ms), from the client’s live reads',
      since: this.since,
      replicas: this.report.report(REPLICA_NAMES),
    };
  }

  reset() {
    this.report.reset();
    this.since = new Date().toISOString();
    return { status: 'reset', since: this.since };
  }
}
