// The Node (V8) flags every CloudPatrol process runs with: scripts/start.js, the bench's children and the fault tests
// read them here; package.json (start:*), the Dockerfile's CMD and docker-compose.yml's commands repeat them (V8 flags
// of this kind are refused in NODE_OPTIONS). Measured with `npm run bench` (issue 20):
// - a 64 MB semi-space: ingest allocates many short-lived objects per batch, and the default 16 MB spent ~9 % of a
//   worker's throughput in scavenges;
// - the old generation grows by at most 100 % after a major GC (V8 chooses up to 300 % for a fast-allocating process):
//   peak RSS over the bench's CloudPatrol phase 571 → 408 MB, throughput within the run-to-run spread.
'use strict';
module.exports = ['--max-semi-space-size=64', '--heap-growing-percent=100'];
