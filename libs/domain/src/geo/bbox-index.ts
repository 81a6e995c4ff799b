/**
 * A static packed R-tree over bounding boxes (Sort-Tile-Recursive packing), with Flatbush's shape:
 * `add` boxes, `finish`, then `search` a box for the indices of the boxes it touches.
 *
 * Why not Flatbush itself (not a dependency any more): flatbush 4 ships as an ECMAScript module only ("type": "module",
 * "exports": "./index.js"). This repository compiles to CommonJS (tsc refuses the import with TS1479)
 * and jest 30 on Node 20 cannot require it, so importing it would break both the build and the tests.
 * A jurisdiction is at most a few thousand polygons built once per config load: this is plenty.
 */
interface IndexNode {
  box: number[];
  /** Child range in the level below (inner nodes). */
  start: number;
  end: number;
  /** The item's index in `add` order (leaves). */
  item?: number;
}

export class BboxIndex {
  private readonly boxes: number[][] = [];
  /** levels[0] = leaves (item indices in packed order), higher levels = node boxes and child ranges. */
  private levels: IndexNode[][] = [];
  private finished = false;

  constructor(private readonly nodeSize = 16) {}

  add(minX: number, minY: number, maxX: number, maxY: number): number {
    if (this.finished) throw new Error('BboxIndex: add after finish');
    this.boxes.push([minX, minY, maxX, maxY]);
    return this.boxes.length - 1;
  }

  finish(): void {
    this.finished = true;
    const n = this.nodeSize;
    // STR: sort by centre x, cut into vertical slices, sort each slice by centre y.
    const cx = (b: number[]): number => b[0] + b[2];
    const cy = (b: number[]): number => b[1] + b[3];
    const order = this.boxes.map((_, i) => i).sort((a, b) => cx(this.boxes[a]) - cx(this.boxes[b]));
    const leafCount = Math.ceil(order.length / n);
    const sliceSize = Math.ceil(Math.sqrt(leafCount)) * n;
    const packed: number[] = [];
    for (let s = 0; s < order.length; s += sliceSize) {
      packed.push(...order.slice(s, s + sliceSize).sort((a, b) => cy(this.boxes[a]) - cy(this.boxes[b])));
    }
    let level: IndexNode[] = packed.map((item) => ({ box: this.boxes[item], start: 0, end: 0, item }));
    this.levels = [level];
    while (level.length > 1) {
      const parents: IndexNode[] = [];
      for (let i = 0; i < level.length; i += n) {
        const children = level.slice(i, i + n);
        const box = [
          Math.min(...children.map((c) => c.box[0])),
          Math.min(...children.map((c) => c.box[1])),
          Math.max(...children.map((c) => c.box[2])),
          Math.max(...children.map((c) => c.box[3])),
        ];
        parents.push({ box, start: i, end: Math.min(i + n, level.length) });
      }
      this.levels.push(parents);
      level = parents;
    }
  }

  /** Indices (in `add` order) of boxes intersecting or touching the query box. */
  search(minX: number, minY: number, maxX: number, maxY: number): number[] {
    if (!this.finished) throw new Error('BboxIndex: search before finish');
    const hit = (b: number[]): boolean => b[0] <= maxX && b[1] <= maxY && b[2] >= minX && b[3] >= minY;
    const out: number[] = [];
    const top = this.levels.length - 1;
    if (top < 0) return out;
    const stack: Array<[number, number]> = this.levels[top].map((_, i) => [top, i]);
    while (stack.length > 0) {
      const [lvl, i] = stack.pop() as [number, number];
      const node = this.levels[lvl][i];
      if (!hit(node.box)) continue;
      if (lvl === 0) {
        if (node.item !== undefined) out.push(node.item);
        continue;
      }
      for (let c = node.start; c < node.end; c++) stack.push([lvl - 1, c]);
    }
    return out.sort((a, b) => a - b);
  }
}
