import { Inject, Injectable } from '@nestjs/common';
import type { Category, RoutingUnit, Township } from '@app/domain';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';

/** Names and codes of the district (categories, townships, places, units) as the case loop needs them. */
@Injectable()
export class DistrictDirectory {
  readonly categories: Map<string, Category>;
  readonly townships: Map<string, Township>;
  readonly places: Map<string, { name: string; type: string }>;
  private readonly units: Map<string, RoutingUnit>;

  constructor(@Inject(RUNTIME_OPTIONS) runtime: RuntimeOptions) {
    const d = runtime.district;
    this.categories = new Map(d.ruleSet.categories.map((c) => [c.code, c]));
    this.townships = new Map(d.townships.map((t) => [t.code, t]));
    this.places = new Map(d.places.map((p) => [p.id, { name: p.name, type: p.type }]));
    this.units = new Map(d.routing.units.map((u) => [u.code, u]));
  }

  /** A unit a case can be dispatched or transferred to: a department, or `<team>:<townshipCode>` of a known township. */
  unit(code: string): { code: string; name: string; townshipCode?: string } | undefined {
    const sep = code.indexOf(':');
    if (sep < 0) {
      const u = this.units.get(code);
      return u && !u.perTownship ? { code, name: u.name } : undefined;
    }
    const u = this.units.get(code.slice(0, sep));
    const township = this.townships.get(code.slice(sep + 1));
    return u?.perTownship && township ? { code, name: `${u.name} (${township.name})`, townshipCode: township.code } : undefined;
  }

  unitName(code: string | null): string | null {
    if (!code) return null;
    return this.unit(code)?.name ?? code;
  }

  townshipName(code: string | null): string | null {
    return code ? (this.townships.get(code)?.name ?? code) : null;
  }

  categoryName(code: string): string {
    return this.categories.get(code)?.name ?? code;
  }
}
