import { HttpException, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AttachedPicture, OPEN311_REQUEST_TOPIC, type Open311RequestPayload, SlidingWindowLimiter } from '@app/domain';
import {
  type Open311Client,
  type Open311ClientsFile,
  open311ClientsFileSchema,
  open311DeviceId,
  type Open311Discovery,
  open311Discovery,
  type Open311Error,
  open311LabelFor,
  open311Notice,
  type Open311Posted,
  type Open311TokenAnswer,
  parseOpen311ClientsYaml,
  parseOpen311Submission,
} from '@app/domain/cases/open311';
import { DeviceRegisterService, type Logger, LOGGER, PictureService, RuleSetService, RUNTIME_OPTIONS, type RuntimeOptions } from '@app/core';
import { DeviceRepository, Open311Repository } from '@app/persistence';
import { open311DiscoveryXml, open311PostedXml, open311TokenXml } from '@app/domain/cases/open311-xml';
import { IngestService } from './ingest.service';

/** What a POST /requests carried: its fields (form-urlencoded, JSON or multipart) and a multipart `media` picture. */
export interface Open311Form {
  fields: Record<string, unknown>;
  media?: Buffer;
}

/** Reads the request body when the service asks for it (libs/http/src/case-loop/open311-form.ts). */
export type Open311FormReader = () => Promise<Open311Form>;

/** The demo district's documented client key (config/demo/open311-clients.yaml). */
export const OPEN311_DEMO_KEY = 'cloudpatrol-demo-open311';

const fail = (status: number, description: string): HttpException => new HttpException([{ code: status, description }] satisfies Open311Error[], status);

/**
 * Open311 GeoReport v2 POST /requests: a registered client (a 12345 hotline, a citizen app) reports an issue.
 * The client's API key is checked against the SHA-256 in open311-clients.yaml (keys are never stored) and
 * rate-limited per client; the report becomes an `open311` event from the client's device (`open311.<id>`,
 * registered from the same file) and goes through the ingest path like any source's: device gate, rules,
 * grouping, routing. Its token is the event id; the case number is answered when the case is opened at once,
 * else GET /tokens/{token} tells it later. Personal data (e-mail, name, phone) stays in the stored event for
 * the staff and never reaches the public GET answers.
 */
@Injectable()
export class Open311IntakeService implements OnModuleInit {
  private readonly config: Open311ClientsFile;
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  constructor(
    private readonly ingest: IngestService,
    private readonly pictures: PictureService,
    private readonly rules: RuleSetService,
    private readonly register: DeviceRegisterService,
    private readonly devices: DeviceRepository,
    private readonly requests: Open311Repository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.config = loadClients(runtime.env.OPEN311_CLIENTS_FILE ?? join(runtime.env.CONFIG_DIR, 'open311-clients.yaml'), !runtime.env.OPEN311_CLIENTS_FILE);
    for (const c of this.config.clients) this.limiters.set(c.id, new SlidingWindowLimiter({ max: c.requestsPerMinute, windowMs: 60_000, capacity: 1 }));
  }

  /** Each client is a device of the register (kind `feed`), so its reports pass the device gate like any source's. */
  async onModuleInit(): Promise<void> {
    if (this.config.clients.length === 0) return;
    await this.devices.upsertConfigDevices(
      this.config.clients.map((c) => ({
        id: open311DeviceId(c.id),
        kind: 'feed',
        name: `Open311: ${c.name}`,
        ownerDepartment: c.ownerDepartment,
        lat: null,
        lng: null,
        address: null,
        townshipCode: null,
        frigateCamera: null,
        parentId: null,
        apiUrl: null,
        aliases: [],
        zones: {},
        legalReviewPassed: false,
        technicalReviewPassed: false,
        reviewedOn: null,
        locationPublished: false,
        // Not 'config': a config-declared device without a password logs in with DEMO_DEVICE_PASSWORD, and a client's
        // device must never log in anywhere (its credential is the API key, checked here).
        managedBy: 'api',
      })),
    );
    await this.register.refresh();
    const demo = createHash('sha256').update(OPEN311_DEMO_KEY).digest('hex');
    if (this.config.clients.some((c) => c.active && c.keySha256 === demo))
      this.logger.warn({}, `an Open311 client uses the documented demo key "${OPEN311_DEMO_KEY}"; remove it before exposing the service`);
    this.logger.info({ clients: this.config.clients.length }, 'Open311 clients registered');
  }

  discovery(): Open311Discovery {
    const env = this.runtime.env;
    return open311Discovery({
      baseUrl: env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`,
      contact: this.config.contact,
      keyService: this.config.keyService,
      utcOffsetMinutes: this.runtime.district.calendar.utcOffsetMinutes,
    });
  }

  /** POST /requests: 403 for a missing or unknown key, 429 over the client's rate, 400 for what the fields lack. */
  async submit(read: Open311FormReader): Promise<Open311Posted[]> {
    const form = await read();
    const client = this.clientOf(form.fields.api_key);
    if (!client) throw fail(403, 'api_key is missing or not valid');
    const limiter = this.limiters.get(client.id) as SlidingWindowLimiter;
    if (!limiter.take(client.id, Date.now())) {
      throw fail(
        429,
        `more than ${client.requestsPerMinute} requests a minute from this api_key; try again in ${Math.ceil(limiter.retryAfterMs(client.id, Date.now()) / 1000)} s`,
      );
    }
    const parsed = parseOpen311Submission(form.fields);
    if (!parsed.ok) throw new HttpException(parsed.errors, 400);
    const s = parsed.submission;
    const ruleSet = this.rules.ruleSet;
    if (!ruleSet.categories.some((c) => c.code === s.serviceCode)) throw fail(400, `service_code ${s.serviceCode} is not a service here (GET services.json)`);
    const label = open311LabelFor(ruleSet.rules, s.serviceCode);
    if (label === undefined) throw fail(400, `service_code ${s.serviceCode} is not taken through Open311 here; call the district's hotline`);

    let pictures: AttachedPicture[] = [];
    if (form.media) {
      pictures = await this.pictures.storeAttached([form.media]);
      const refused = pictures.find((p) => 'refused' in p);
      if (refused && 'refused' in refused) throw fail(400, `media: ${refused.refused.reason}: ${refused.refused.detail}`);
    }

    const token = randomUUID();
    const payload: Open311RequestPayload = {
      token,
      clientId: client.id,
      deviceId: open311DeviceId(client.id),
      receivedAt: new Date().toISOString(),
      serviceCode: s.serviceCode,
      label,
      ...(s.lat !== undefined && s.long !== undefined && { position: { lat: s.lat, lng: s.long } }),
      ...(s.addressString !== undefined && { addressString: s.addressString }),
      ...(s.description !== undefined && { description: s.description }),
      ...(s.mediaUrl !== undefined && { mediaUrl: s.mediaUrl }),
      reporter: s.reporter,
      ...(s.deviceId !== undefined && { clientDeviceId: s.deviceId }),
      ...(s.accountId !== undefined && { accountId: s.accountId }),
    };
    const outcome = await this.ingest.ingestPush({
      transport: 'http',
      topic: OPEN311_REQUEST_TOPIC,
      payload: Buffer.from(JSON.stringify(payload)),
      receivedAt: new Date(),
      ...(pictures.length > 0 && { pictures }),
    });
    if (outcome.status === 'rejected') throw fail(outcome.reason === 'rate-limited' ? 429 : 400, `${outcome.reason}: ${outcome.detail}`);
    const caseNumber = (await this.requests.caseNumbersOfTokens([token])).get(token) ?? null;
    const accountId = s.accountId ?? null;
    return [
      caseNumber
        ? { service_request_id: caseNumber, service_notice: open311Notice(caseNumber), account_id: accountId }
        : { token, service_notice: open311Notice(null), account_id: accountId },
    ];
  }

  /** GET /tokens/{token}: the case number once the request is in a case; 404 for a token never given. */
  async token(token: string): Promise<Open311TokenAnswer[]> {
    const known = /^[0-9a-f-]{36}$/i.test(token) ? await this.requests.caseNumbersOfTokens([token.toLowerCase()]) : new Map<string, string | null>();
    if (!known.has(token.toLowerCase())) throw fail(404, `token ${token} not found`);
    return [{ service_request_id: known.get(token.toLowerCase()) ?? null, token: token.toLowerCase() }];
  }

  discoveryXml(): string {
    return open311DiscoveryXml(this.discovery());
  }

  async submitXml(read: Open311FormReader): Promise<string> {
    return open311PostedXml(await this.submit(read));
  }

  async tokenXml(token: string): Promise<string> {
    return open311TokenXml(await this.token(token));
  }

  /** The active client whose key hashes to the stored SHA-256, compared in constant time. */
  private clientOf(apiKey: unknown): Open311Client | undefined {
    if (typeof apiKey !== 'string' || apiKey.length === 0 || apiKey.length > 200) return undefined;
    const digest = createHash('sha256').update(apiKey, 'utf8').digest();
    let found: Open311Client | undefined;
    for (const c of this.config.clients) if (timingSafeEqual(digest, Buffer.from(c.keySha256, 'hex')) && c.active) found = c;
    return found;
  }
}

/** The clients file; absent at its default place = no clients. A file named but missing or invalid stops the start. */
function loadClients(path: string, optional: boolean): Open311ClientsFile {
  if (!existsSync(path)) {
    if (optional) return open311ClientsFileSchema.parse({});
    throw new Error(`OPEN311_CLIENTS_FILE ${path} does not exist`);
  }
  const parsed = parseOpen311ClientsYaml(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path} is not a valid Open311 clients file:\n  ${parsed.problems.join('\n  ')}`);
  return parsed.file;
}
