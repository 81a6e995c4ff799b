// Small DOM helpers: every text goes through textContent (no HTML strings from data, no inline handlers).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** What can be put in an element: nodes, text (numbers and strings), nothing (null, undefined, false), or (nested) lists of them. */
/** @typedef {Node | string | number | boolean | null | undefined | readonly unknown[]} Child */
/**
 * Attributes: `class` (a string or a list, falsy entries dropped), `dataset`, on<Event> handlers, boolean
 * properties, anything else as an attribute (null, undefined and false leave it out).
 * @typedef {{ [key: string]: unknown, onClick?: (e: MouseEvent) => unknown, dataset?: Record<string, string> }} Attrs
 */

/**
 * @template {Element} E
 * @param {E} el
 * @param {Attrs | null | undefined} attrs
 * @param {readonly Child[]} children
 * @returns {E}
 */
function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    else if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value));
    else if (key === 'dataset') Object.assign(/** @type {HTMLElement | SVGElement} */ (/** @type {unknown} */ (el)).dataset, value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'hidden' || key === 'multiple' || key === 'required' || key === 'open') {
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (el))[key] = Boolean(value);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {readonly Child[]} children
 */
function append(el, children) {
  for (const child of /** @type {readonly unknown[]} */ (children.flat(Infinity))) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * h('button', { class: 'btn', onClick }, 'text', child, ...)
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/**
 * An SVG element, as h().
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/**
 * @template {Element} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/**
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/**
 * An element of the shell (index.html), which is always there.
 * @param {string} id
 */
export const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;
/**
 * A short message in the polite live region.
 * @param {string} message
 * @param {'info' | 'ok' | 'warn'} [kind]
 */
export function toast(message, kind = 'info') {
  const el = byId('toast');
  el.textContent = message;
  el.className = `toast toast-${kind} toast-show`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('toast-show'), 4000);
}

let uid = 0;
/** @param {string} [prefix] */
export const nextId = (prefix = 'id') => `${prefix}-${++uid}`;
