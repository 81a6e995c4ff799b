import { HttpException, Inject, Injectable } from '@nestjs/common';
import {
  caseStatusesFor,
  OPEN311_MAX_REQUESTS,
  type Open311Request,
  type Open311Service,
  type Open311Status,
  parseOpen311RequestQuery,
  type PublicCaseFacts,
  toOpen311Request,
  toOpen311Service,
} from '@app/domain/cases/open311';
import { open311RequestsXml, open311ServicesXml } from '@app/domain/cases/open311-xml';
import { CaseLoopRepository, type PublicCaseRow } from '@app/persistence';
import { asCaseStatus } from '../cases/case-workflow.mapper';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { Clock } from './clock';
import { DistrictDirectory } from './district-directory';

/**
 * Open311 GeoReport v2, read only and public: services from the categories, requests from the reviewed
 * cases. What may be shown is decided in libs/domain/src/cases/open311.ts; the position is exact only for a
 * listed (public) place or a device whose location is published, else coarsened to 3 decimals.
 */
@Injectable()
export class Open311ReadService {
  constructor(
    private readonly repo: CaseLoopRepository,
    private readonly directory: DistrictDirectory,
    private readonly clock: Clock,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {}

  services(): Open311Service[] {
    return [...this.directory.categories.values()].map(toOpen311Service);
  }

  async requests(query: Record<string, unknown>): Promise<Open311Request[]> {
    const parsed = parseOpen311RequestQuery(query, this.clock.now());
    if (!parsed.ok) throw new HttpException(parsed.errors, 400);
    const f = parsed.filter;
    const statuses: Open311Status[] = f.statuses ?? ['open', 'closed'];
    const rows = await this.repo.publicCases({
      statuses: statuses.flatMap(caseStatusesFor),
      caseNumbers: f.ids,
      categoryCodes: f.serviceCodes,
      from: f.start,
      to: f.end,
      limit: OPEN311_MAX_REQUESTS,
    });
    return this.toRequests(rows);
  }

  async request(id: string): Promise<Open311Request[]> {
    const rows =
      id.length <= 100 && !id.includes('\u0000')
        ? await this.repo.publicCases({ statuses: caseStatusesFor('open').concat(caseStatusesFor('closed')), caseNumbers: [id], limit: 1 })
        : [];
    const found = this.toRequests(rows);
    if (found.length === 0) throw new HttpException([{ code: 404, description: `service request ${id} not found` }], 404);
    return found;
  }

  /** The XML representations (GeoReport v2 requires them): the same values, `<services>` / `<service_requests>`. */
  servicesXml(): string {
    return open311ServicesXml(this.services());
  }

  async requestsXml(query: Record<string, unknown>): Promise<string> {
    return open311RequestsXml(await this.requests(query));
  }

  async requestXml(id: string): Promise<string> {
    return open311RequestsXml(await this.request(id));
  }

  private toRequests(rows: PublicCaseRow[]): Open311Request[] {
    const offset = this.runtime.district.calendar.utcOffsetMinutes;
    return rows.map((r) => toOpen311Request(this.facts(r), offset)).filter((r): r is Open311Request => r !== null);
  }

  private facts(r: PublicCaseRow): PublicCaseFacts {
    const category = this.directory.categories.get(r.categoryCode);
    const township = this.directory.townshipName(r.townshipCode);
    const place = r.placeId ? this.directory.places.get(r.placeId) : undefined;
    const atPublishedDevice =
      r.deviceLocationPublished === true &&
      r.lat !== null &&
      r.lng !== null &&
      r.deviceLat !== null &&
      r.deviceLng !== null &&
      Math.abs(r.lat - r.deviceLat) < 1e-6 &&
      Math.abs(r.lng - r.deviceLng) < 1e-6;
    const address = place ? [place.name, township].filter(Boolean).join(', ') : atPublishedDevice && r.deviceAddress ? r.deviceAddress : (township ?? '');
    const loopUpdated = r.loopUpdatedAt && r.loopUpdatedAt > r.updatedAt ? r.loopUpdatedAt : r.updatedAt;
    return {
      caseNumber: r.caseNumber,
      status: asCaseStatus(r.status),
      categoryCode: r.categoryCode,
      categoryName: category?.name ?? r.categoryCode,
      categoryNameZh: category?.nameZh,
      townshipName: township,
      unitName: this.directory.unitName(r.handlingUnit),
      requestedAt: r.createdAt,
      updatedAt: loopUpdated,
      expectedAt: r.dueAt,
      address,
      lat: r.lat,
      lng: r.lng,
      precisePosition: place !== undefined || atPublishedDevice,
    };
  }
}
