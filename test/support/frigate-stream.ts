/** Builds Frigate `frigate/events` messages for one tracked object: new, updates every `stepSeconds`, end. */
export function frigateTrack(options: {
  id: string;
  camera: string;
  label: string;
  subLabel?: string;
  plate?: string;
  zones: string[];
  start: Date;
  minutes: number;
  stepSeconds: number;
  stationary?: boolean;
  end?: boolean;
}): string[] {
  const startSec = options.start.getTime() / 1000;
  const object = (frameTime: number, endTime: number | null) => ({
    id: options.id,
    camera: options.camera,
    frame_time: frameTime,
    label: options.label,
    sub_label: options.subLabel ? [options.subLabel, 0.9] : null,
    top_score: 0.9,
    false_positive: false,
    start_time: startSec,
    end_time: endTime,
    score: 0.88,
    box: [815, 404, 1104, 609],
    area: 59245,
    active: !options.stationary,
    stationary: options.stationary ?? true,
    motionless_count: Math.round(frameTime - startSec) * 5,
    position_changes: 1,
    current_zones: endTime === null ? options.zones : [],
    entered_zones: options.zones,
    has_snapshot: true,
    has_clip: true,
    recognized_license_plate: options.plate ?? null,
    recognized_license_plate_score: options.plate ? 0.93 : null,
  });
  const messages: string[] = [];
  const last = startSec + options.minutes * 60;
  messages.push(JSON.stringify({ type: 'new', before: object(startSec, null), after: object(startSec, null) }));
  for (let t = startSec + options.stepSeconds; t <= last; t += options.stepSeconds) {
    messages.push(JSON.stringify({ type: 'update', before: object(t - options.stepSeconds, null), after: object(t, null) }));
  }
  if (options.end) messages.push(JSON.stringify({ type: 'end', before: object(last, null), after: object(last, last) }));
  return messages;
}
