import { Inject, Injectable } from '@nestjs/common';
import { DeviceRepository } from '@app/persistence';
import { createHash } from 'node:crypto';
import { RUNTIME_OPTIONS, type RuntimeOptions } from '../runtime/runtime-options';
import { checkDigest, DIGEST_REALM, digestChallenges, digestHa1, type DigestCheck, type DigestHa1, DigestNonces } from './http-digest';

const DEVICE_ID = /^[A-Za-z0-9._-]{1,100}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * HTTP Digest for devices (RFC 7616; MD5 and SHA-256, qop=auth), beside HTTP Basic. Digest needs H(id:realm:password):
 * for a config device on the demo password it is computed from DEMO_DEVICE_PASSWORD; for a device with its own
 * password it is stored (devices.digest_ha1) when the device proves that password over HTTP Basic or MQTT, bound to
 * the bcrypt hash it was made under, so a new password makes it stale until the device has used the new one once.
 * Nonces are per process: behind several API instances use sticky sessions for Digest, or Basic over TLS.
 */
@Injectable()
export class DeviceDigestAuth {
  private readonly nonces = new DigestNonces();

  constructor(
    private readonly devices: DeviceRepository,
    @Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions,
  ) {}

  /** The WWW-Authenticate values of a 401 on a device endpoint (Digest SHA-256, Digest MD5, Basic). */
  challenges(stale = false): string[] {
    return digestChallenges(this.nonces, Date.now(), stale);
  }

  /** Checks an Authorization: Digest header for this request (method and request-target as sent). */
  check(header: string, request: { method: string; uri: string }): Promise<DigestCheck> {
    return checkDigest(header, request, this.nonces, (id) => this.ha1Of(id), Date.now());
  }

  /** After a device proved its password (Basic, MQTT): keep its Digest HA1 if it is missing or stale. */
  async learn(id: string, password: string): Promise<void> {
    if (!DEVICE_ID.test(id)) return;
    const stored = await this.devices.digestCredentials(id);
    if (!stored?.hash) return;
    const bound = sha256(stored.hash);
    if (stored.ha1?.for === bound && stored.ha1.realm === DIGEST_REALM) return;
    await this.devices.setDigestHa1(id, { for: bound, realm: DIGEST_REALM, ...digestHa1(id, password) });
  }

  private async ha1Of(id: string): Promise<DigestHa1 | undefined> {
    if (!DEVICE_ID.test(id)) return undefined;
    const stored = await this.devices.digestCredentials(id);
    if (!stored || stored.status !== 'active') return undefined;
    if (stored.hash) return stored.ha1?.for === sha256(stored.hash) && stored.ha1.realm === DIGEST_REALM ? stored.ha1 : undefined;
    return stored.managedBy === 'config' ? digestHa1(id, this.runtime.env.DEMO_DEVICE_PASSWORD) : undefined;
  }
}
