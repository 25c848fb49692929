import { Inject, Injectable } from '@nestjs/common';
import type { KeelConfig } from '../shared/platform/config';
import type { Tenancy } from '../shared/tenancy/open';
import { PlanGate } from '../shared/tenancy/plan-gate';
import { CONFIG, TENANCY } from './tokens';

export type { GatePass } from '../shared/tenancy/plan-gate';

/** The tenant's plan at the API's door: shared/tenancy/plan-gate.ts, as a Nest provider. */
@Injectable()
export class TenancyGate extends PlanGate {
  constructor(@Inject(CONFIG) config: KeelConfig, @Inject(TENANCY) tenancy: Tenancy) {
    super(config, tenancy);
  }
}
