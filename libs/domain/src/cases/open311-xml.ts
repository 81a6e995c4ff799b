import type { Open311Discovery, Open311Error, Open311Posted, Open311Request, Open311Service, Open311TokenAnswer } from './open311';

/**
 * The XML representations of GeoReport v2 (https://wiki.open311.org/GeoReport_v2/): the same values as the
 * JSON ones, element for field, in the spec's root and item elements. UTF-8, text escaped; `null` is an empty
 * element; characters XML 1.0 cannot carry (control characters, lone surrogates) become U+FFFD.
 */

type Scalar = string | number | boolean | null | undefined;

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Escapes text for element content and attribute values. */
export function xmlEscape(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- exactly the characters XML 1.0 forbids
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function element(name: string, value: Scalar): string {
  if (value === null || value === undefined) return `<${name}/>`;
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

function record(name: string, fields: Record<string, Scalar>): string {
  return `<${name}>${Object.entries(fields)
    .map(([k, v]) => element(k, v))
    .join('')}</${name}>`;
}

function document(root: string, item: string, rows: readonly Record<string, Scalar>[]): string {
  return `${XML_DECLARATION}\n<${root}>${rows.map((r) => record(item, r)).join('')}</${root}>\n`;
}

/** GET /services.xml: `<services><service>…</service></services>`. */
export function open311ServicesXml(services: readonly Open311Service[]): string {
  return document('services', 'service', services as unknown as Record<string, Scalar>[]);
}

/** GET /requests.xml and /requests/{id}.xml: `<service_requests><request>…</request></service_requests>`. */
export function open311RequestsXml(requests: readonly Open311Request[]): string {
  return document('service_requests', 'request', requests as unknown as Record<string, Scalar>[]);
}

/** POST /requests.xml: `<service_requests><request><service_request_id/token, service_notice, account_id>`. */
export function open311PostedXml(posted: readonly Open311Posted[]): string {
  return document('service_requests', 'request', posted as unknown as Record<string, Scalar>[]);
}

/** GET /tokens/{token}.xml: `<service_requests><request><service_request_id/><token/></request></service_requests>`. */
export function open311TokenXml(answers: readonly Open311TokenAnswer[]): string {
  return document('service_requests', 'request', answers as unknown as Record<string, Scalar>[]);
}

/** Errors: `<errors><error><code>403</code><description>…</description></error></errors>`. */
export function open311ErrorsXml(errors: readonly Open311Error[]): string {
  return document('errors', 'error', errors as unknown as Record<string, Scalar>[]);
}

/** GET /discovery.xml (https://wiki.open311.org/Service_Discovery). */
export function open311DiscoveryXml(d: Open311Discovery): string {
  const endpoints = d.endpoints
    .map(
      (e) =>
        `<endpoint>${element('specification', e.specification)}${element('url', e.url)}${element('changeset', e.changeset)}${element('type', e.type)}` +
        `<formats>${e.formats.map((f) => element('format', f)).join('')}</formats></endpoint>`,
    )
    .join('');
  return (
    `${XML_DECLARATION}\n<discovery>${element('changeset', d.changeset)}${element('contact', d.contact)}${element('key_service', d.key_service)}` +
    `<endpoints>${endpoints}</endpoints></discovery>\n`
  );
}
