// The district map as SVG: township and grid boundaries and places drawn from GeoJSON with a simple
// equirectangular projection fitted to the district's bounding box; cases as markers. No tiles from the
// internet unless web/config.json names a tile server (map.tileUrl, e.g. a city's own).
import { h, s, clear } from './dom.js';
import { district, mapConfig, townshipName, categoryName } from './district.js';
import { isZh, t, label } from './i18n.js';

/** @typedef {import('./district.js').Geometry} Geometry */
/** @typedef {(lngLat: number[]) => number[]} Project lng/lat → SVG user units */

const WIDTH = 1000;
/** Cases closer than this on screen (CSS px) are drawn as one cluster with their count. */
const CLUSTER_PX = 28;
/** @type {Record<string, number>} */
const SEVERITY_ORDER = { low: 0, medium: 1, high: 2, critical: 3 };
const PAD = 14;

/**
 * @param {Geometry} geometry
 * @returns {number[][][][]} polygons of rings of positions
 */
function ringsOf(geometry) {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

/**
 * @param {{ geometry: Geometry }[]} features
 * @returns {number[]} west, south, east, north
 */
function bboxOf(features) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features) {
    for (const polygon of ringsOf(f.geometry)) {
      for (const [lng, lat] of polygon[0]) {
        b[0] = Math.min(b[0], lng);
        b[1] = Math.min(b[1], lat);
        b[2] = Math.max(b[2], lng);
        b[3] = Math.max(b[3], lat);
      }
    }
  }
  return b;
}

/**
 * lng/lat → SVG user units; x is shrunk by cos(latitude) so the district keeps its shape.
 * @param {number[]} bbox
 * @returns {{ width: number, height: number, project: Project }}
 */
export function projection(bbox) {
  const [minLng, minLat, maxLng, maxLat] = bbox;
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const scale = WIDTH / ((maxLng - minLng) * kx || 1);
  const height = (maxLat - minLat) * scale;
  return {
    width: WIDTH,
    height,
    project: ([lng, lat]) => [(lng - minLng) * kx * scale, (maxLat - lat) * scale],
  };
}

/**
 * @param {Geometry} geometry
 * @param {Project} project
 */
function pathOf(geometry, project) {
  let d = '';
  for (const polygon of ringsOf(geometry)) {
    for (const ring of polygon) {
      d +=
        ring
          .map(
            (p, i) =>
              `${i ? 'L' : 'M'}${project(p)
                .map((v) => v.toFixed(1))
                .join(' ')}`,
          )
          .join('') + 'Z';
    }
  }
  return d;
}

/**
 * @param {{ geometry: Geometry }} feature
 * @param {Project} project
 */
function centreOf(feature, project) {
  const [a, b, c, d] = bboxOf([feature]);
  return project([(a + c) / 2, (b + d) / 2]);
}

// Web Mercator tile maths, for the optional raster layer under the vectors.
/** @type {(lng: number, z: number) => number} */
const lng2tile = (lng, z) => ((lng + 180) / 360) * 2 ** z;
/** @type {(lat: number, z: number) => number} */
const lat2tile = (lat, z) => ((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * 2 ** z;
/** @type {(x: number, z: number) => number} */
const tile2lng = (x, z) => (x / 2 ** z) * 360 - 180;
/** @type {(y: number, z: number) => number} */
const tile2lat = (y, z) => (Math.atan(Math.sinh(Math.PI - (2 * Math.PI * y) / 2 ** z)) * 180) / Math.PI;

/**
 * @param {number[]} bbox
 * @param {Project} project
 */
function tileLayer(bbox, project) {
  const { tileUrl, tileMaxZoom = 18 } = mapConfig();
  if (!tileUrl) return null;
  const [minLng, minLat, maxLng, maxLat] = bbox;
  const z = Math.max(1, Math.min(tileMaxZoom, Math.floor(Math.log2((360 * 4) / (maxLng - minLng)))));
  const g = s('g', { class: 'tiles', 'aria-hidden': 'true' });
  for (let x = Math.floor(lng2tile(minLng, z)); x <= Math.floor(lng2tile(maxLng, z)); x++) {
    for (let y = Math.floor(lat2tile(maxLat, z)); y <= Math.floor(lat2tile(minLat, z)); y++) {
      const [x0, y0] = project([tile2lng(x, z), tile2lat(y, z)]);
      const [x1, y1] = project([tile2lng(x + 1, z), tile2lat(y + 1, z)]);
      const href = tileUrl.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y));
      g.append(s('image', { href, x: x0, y: y0, width: x1 - x0, height: y1 - y0, preserveAspectRatio: 'none' }));
    }
  }
  return g;
}

/**
 * createMap({ label, onSelect, focusTownship }) → { el, setCases(cases, { selectedId, freshIds }), select(id) }
 * Markers are clustered by zoom (a count per cluster; a click zooms in) and are not tab stops (the list beside
 * the map is the keyboard path); +/−/reset buttons zoom; drag pans.
 * @param {{ label?: string, onSelect?: (id: string) => void, focusTownship?: string | null, compact?: boolean }} [options]
 */
export function createMap({ label: ariaLabel, onSelect, focusTownship, compact = false } = {}) {
  const geo = district();
  const bbox = bboxOf(geo.townships.features);
  const { width, height, project } = projection(bbox);
  const base = { x: -PAD, y: -PAD, w: width + 2 * PAD, h: height + 2 * PAD };
  let view = { ...base };
  const markers = s('g', { class: 'markers' });
  const labels = s('g', { class: 'labels', 'aria-hidden': 'true' });
  const svg = s('svg', {
    class: ['map-svg', mapConfig().tileUrl && 'has-tiles'],
    viewBox: `${view.x} ${view.y} ${view.w} ${view.h}`,
    preserveAspectRatio: 'xMidYMid meet',
    role: 'group',
    'aria-label': ariaLabel ?? t('console.map'),
  });
  svg.append(s('title', {}, ariaLabel ?? t('console.map')));
  const tiles = tileLayer(bbox, project);
  if (tiles) svg.append(tiles);

  const townshipLayer = s('g', { class: 'townships' });
  for (const f of geo.townships.features) {
    const code = f.properties.code;
    townshipLayer.append(s('path', { d: pathOf(f.geometry, project), class: ['township', focusTownship === code && 'focus'], dataset: { code } }));
    const [cx, cy] = centreOf(f, project);
    labels.append(s('text', { x: cx, y: cy, class: 'township-label', 'text-anchor': 'middle' }, isZh() ? f.properties.nameZh : f.properties.name));
  }
  const gridLayer = s('g', { class: 'grids' });
  for (const f of geo.grids.features) gridLayer.append(s('path', { d: pathOf(f.geometry, project), class: 'grid' }));
  const placeLayer = s('g', { class: 'places' });
  for (const f of geo.places.features) {
    placeLayer.append(s('path', { d: pathOf(f.geometry, project), class: `place place-${f.properties.type}` }, s('title', {}, f.properties.name)));
  }
  const droneLayer = s('g', { class: 'drones' });
  svg.append(townshipLayer, gridLayer, placeLayer, labels, markers, droneLayer);

  // Markers and labels keep their size on screen whatever the zoom: sizes are in CSS pixels.
  const applyView = (recluster = true) => {
    svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
    const rect = svg.getBoundingClientRect();
    const k = rect.width && rect.height ? Math.max(view.w / rect.width, view.h / rect.height) : view.w / 600;
    if (recluster && shown.length > 1 && Math.abs(k - clusteredAt) > clusteredAt * 0.01) return drawMarkers();
    for (const m of markers.querySelectorAll('.marker')) {
      const big = m.classList.contains('cluster') ? 1.5 : 1;
      /** @type {SVGCircleElement} */ (m.querySelector('circle.dot')).setAttribute('r', String(8 * big * k));
      m.querySelector('circle.halo')?.setAttribute('r', String(13 * big * k));
      const count = m.querySelector('text');
      if (count) {
        count.setAttribute('font-size', String(10 * k));
        count.setAttribute('dy', String(3.5 * k));
      }
    }
    labels.setAttribute('font-size', String(13 * k));
    for (const d of droneLayer.querySelectorAll('.drone')) {
      d.setAttribute('transform', (d.getAttribute('transform') ?? '').replace(/scale\([^)]*\)/, `scale(${k})`));
    }
  };
  new ResizeObserver(() => applyView()).observe(svg);

  /** @type {(factor: number, cx?: number, cy?: number) => void} */
  const zoom = (factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) => {
    const w = Math.min(base.w, Math.max(base.w / 16, view.w * factor));
    const f = w / view.w;
    view = { x: cx - (cx - view.x) * f, y: cy - (cy - view.y) * f, w, h: view.h * f };
    applyView();
  };

  /** Show this area (lng/lat bbox) as big as fits. */
  /** @type {(b: number[], margin?: number) => void} */
  const fit = (b, margin = 0.5) => {
    const [x0, y0] = project([b[0], b[3]]);
    const [x1, y1] = project([b[2], b[1]]);
    const w = Math.max(x1 - x0, 40) * (1 + margin);
    const hgt = Math.max(y1 - y0, 40) * (1 + margin);
    const scale = Math.max(w / base.w, hgt / base.h);
    view = { w: base.w * scale, h: base.h * scale, x: (x0 + x1) / 2 - (base.w * scale) / 2, y: (y0 + y1) / 2 - (base.h * scale) / 2 };
    applyView();
  };

  // Drag to pan.
  /** @type {{ x: number, y: number, view: typeof view, moved: boolean } | null} */
  let drag = null;
  svg.addEventListener('pointerdown', (e) => {
    if (/** @type {Element} */ (e.target).closest('.marker')) return;
    drag = { x: e.clientX, y: e.clientY, view: { ...view }, moved: false };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const rect = svg.getBoundingClientRect();
    const k = Math.max(view.w / rect.width, view.h / rect.height);
    const dx = (e.clientX - drag.x) * k;
    const dy = (e.clientY - drag.y) * k;
    if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
    view = { ...drag.view, x: drag.view.x - dx, y: drag.view.y - dy };
    applyView();
  });
  const endDrag = () => (drag = null);
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const rect = svg.getBoundingClientRect();
      const k = Math.max(view.w / rect.width, view.h / rect.height);
      const cx = view.x + (e.clientX - rect.left - (rect.width - view.w / k) / 2) * k;
      const cy = view.y + (e.clientY - rect.top - (rect.height - view.h / k) / 2) * k;
      zoom(e.deltaY > 0 ? 1.25 : 0.8, cx, cy);
    },
    { passive: false },
  );

  const controls = h(
    'div',
    { class: 'map-controls' },
    h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': t('case.zoomIn'), title: t('case.zoomIn'), onClick: () => zoom(0.7) }, '+'),
    h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': t('case.zoomOut'), title: t('case.zoomOut'), onClick: () => zoom(1 / 0.7) }, '−'),
    h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': 'reset', title: 'reset', onClick: () => ((view = { ...base }), applyView()) }, '⟲'),
  );
  const attribution = mapConfig().tileUrl && mapConfig().tileAttribution ? h('div', { class: 'map-attribution' }, mapConfig().tileAttribution) : null;
  const el = h('div', { class: ['map', compact && 'map-compact'] }, svg, controls, attribution);

  /** @type {string | null} */
  let selected = null;
  /** @type {import('./api.js').CaseView[]} */
  let shown = [];
  /** @type {Set<string>} */
  let fresh = new Set();
  /** The zoom the clusters were made for: they are made again when it changes. */
  let clusteredAt = 0;

  /**
   * Cases closer than CLUSTER_PX on screen become one marker with their count (coloured by the most severe,
   * ringed when one is fresh, without the pulse of a single new marker: under a busy stream that would keep the whole map repainting); a click zooms into it. A lone case keeps its own marker. Markers are not tab
   * stops: the list is the keyboard path, and the map would otherwise put hundreds of stops before it.
   */
  function drawMarkers() {
    clear(markers);
    const rect = svg.getBoundingClientRect();
    const k = rect.width && rect.height ? Math.max(view.w / rect.width, view.h / rect.height) : view.w / 600;
    clusteredAt = k;
    const cell = CLUSTER_PX * k;
    /** @type {Map<string, { x: number, y: number, cases: import('./api.js').CaseView[] }>} */
    const cells = new Map();
    for (const c of shown) {
      const location = /** @type {{ lat: number, lng: number }} */ (c.location);
      const [x, y] = project([location.lng, location.lat]);
      const key = `${Math.floor(x / cell)}:${Math.floor(y / cell)}`;
      const found = cells.get(key);
      if (found) {
        found.x += x;
        found.y += y;
        found.cases.push(c);
      } else cells.set(key, { x, y, cases: [c] });
    }
    const groups = [...cells.values()].map((g) => ({ ...g, x: g.x / g.cases.length, y: g.y / g.cases.length }));
    // Draw the selected and the most severe last, so they sit on top.
    const worstOf = (/** @type {import('./api.js').CaseView[]} */ list) => Math.max(...list.map((c) => SEVERITY_ORDER[c.severity] ?? 0));
    const hasSelected = (/** @type {import('./api.js').CaseView[]} */ list) => list.some((c) => c.id === selected);
    groups.sort((a, b) => worstOf(a.cases) - worstOf(b.cases) || Number(hasSelected(a.cases)) - Number(hasSelected(b.cases)));
    for (const g of groups) markers.append(g.cases.length === 1 ? caseMarker(g.cases[0], g.x, g.y) : clusterMarker(g.cases, g.x, g.y));
    applyView(false);
  }

  /**
   * @param {import('./api.js').CaseView} c
   * @param {number} x
   * @param {number} y
   */
  function caseMarker(c, x, y) {
    const name = `${c.caseNumber} ${categoryName(c.category)} · ${townshipName(c.townshipCode)} · ${label('status', c.status)}${c.occurrenceCount > 1 ? ` · ×${c.occurrenceCount}` : ''}`;
    const g = s(
      'g',
      {
        class: ['marker', `sev-${c.severity}`, `st-${c.status}`, c.id === selected && 'selected', fresh.has(c.id) && 'fresh'],
        transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
        tabindex: onSelect ? '-1' : undefined,
        role: onSelect ? 'button' : 'img',
        'aria-label': name,
        dataset: { id: c.id },
      },
      s('title', {}, name),
      s('circle', { class: 'halo', r: 16 }),
      s('circle', { class: 'dot', r: 9 }),
      c.occurrenceCount > 1 ? s('text', { 'text-anchor': 'middle', dy: 4, 'font-size': 11 }, c.occurrenceCount > 99 ? '99+' : String(c.occurrenceCount)) : null,
    );
    if (onSelect) g.addEventListener('click', () => onSelect(c.id));
    return g;
  }

  /**
   * @param {import('./api.js').CaseView[]} cases
   * @param {number} x
   * @param {number} y
   */
  function clusterMarker(cases, x, y) {
    const worst = cases.reduce((a, c) => ((SEVERITY_ORDER[c.severity] ?? 0) > (SEVERITY_ORDER[a.severity] ?? 0) ? c : a), cases[0]);
    const name = t('console.cluster', { n: cases.length, worst: label('severity', worst.severity) });
    const g = s(
      'g',
      {
        class: [
          'marker',
          'cluster',
          `sev-${worst.severity}`,
          cases.some((c) => c.id === selected) && 'selected',
          cases.some((c) => fresh.has(c.id)) && 'has-fresh',
        ],
        transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
        tabindex: '-1',
        role: 'img',
        'aria-label': name,
        dataset: { count: String(cases.length) },
      },
      s('title', {}, name),
      s('circle', { class: 'halo', r: 18 }),
      s('circle', { class: 'dot', r: 12 }),
      s('text', { 'text-anchor': 'middle', dy: 4, 'font-size': 11 }, cases.length > 999 ? '999+' : String(cases.length)),
    );
    g.addEventListener('click', () => {
      const lats = cases.map((c) => /** @type {{ lat: number }} */ (c.location).lat);
      const lngs = cases.map((c) => /** @type {{ lng: number }} */ (c.location).lng);
      const b = [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)];
      // All at one spot: zoom in a step around it (fit would stop at the closest zoom anyway).
      if (b[2] - b[0] < 1e-9 && b[3] - b[1] < 1e-9) zoom(0.5, x, y);
      else fit(b, 0.3);
    });
    return g;
  }

  const api = {
    el,
    fit,
    /** @param {string} code */
    fitTownship(code) {
      const f = geo.townships.features.find((x) => x.properties.code === code);
      if (f) fit(bboxOf([f]), 0.15);
    },
    /** @type {(lat: number, lng: number, span?: number) => void} */
    fitPoint(lat, lng, span = 0.012) {
      fit([lng - span, lat - span, lng + span, lat + span], 0);
    },
    /**
     * @param {import('./api.js').CaseView[]} cases
     * @param {{ selectedId?: string | null, freshIds?: Set<string> }} [options]
     */
    setCases(cases, { selectedId, freshIds } = {}) {
      selected = selectedId ?? selected;
      shown = cases.filter((c) => c.location);
      fresh = freshIds ?? new Set();
      drawMarkers();
    },
    /**
     * Live positions of drones (from their DJI osd track): a plane glyph pointing along the heading, not a tab stop.
     * @param {{ id: string, name: string, lat: number, lng: number, heading: number | null, at: string }[]} drones
     */
    setDrones(drones) {
      clear(droneLayer);
      const rect = svg.getBoundingClientRect();
      const k = rect.width && rect.height ? Math.max(view.w / rect.width, view.h / rect.height) : view.w / 600;
      for (const d of drones) {
        const [x, y] = project([d.lng, d.lat]);
        const name = t('console.drone', { name: d.name });
        droneLayer.append(
          s(
            'g',
            { class: 'drone', role: 'img', 'aria-label': name, dataset: { id: d.id }, transform: `translate(${x.toFixed(1)} ${y.toFixed(1)}) scale(${k})` },
            s('title', {}, `${name} · ${d.at}`),
            s('circle', { r: 11, class: 'drone-halo', fill: '#0ea5e9', 'fill-opacity': 0.25 }),
            s('path', { d: 'M0 -9 L6 7 L0 3 L-6 7 Z', fill: '#0369a1', transform: `rotate(${d.heading ?? 0})` }),
          ),
        );
      }
    },
    /** @param {string} id */
    select(id) {
      selected = id;
      for (const m of /** @type {NodeListOf<SVGGElement>} */ (markers.querySelectorAll('.marker'))) m.classList.toggle('selected', m.dataset.id === id);
    },
  };
  applyView();
  return api;
}
