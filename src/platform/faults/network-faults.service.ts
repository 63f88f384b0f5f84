import { Injectable } from '@nestjs/common';
import { PartitionSwitch } from './partition-switch';

/**
 * The partition switch of this process, consulted by every node-to-node call. Node ids are
 * `lab:node`. A partition is enforced by the nodes it concerns, at their network boundary.
 */
@Injectable()
export class NetworkFaultsService extends PartitionSwitch {}
