'use strict';
// The vector section's native reference: the usearch npm package (its prebuilt binary) on the
// suite's vectors. Run by io.lumadb.bench.vector.UsearchReference from the directory where usearch
// is installed:
//
//   node usearch-bench.js DATA_FILE MIN_SECONDS EXPANSIONS CONNECTIVITY EXPANSION_ADD INDEX_FILE
//
// DATA_FILE is written by VectorData.write (layout in its Javadoc: a 32-byte header, the vectors,
// the queries, the ground truth). It builds a cosine index of 32-bit floats with one thread
// (the build rate), saves it to INDEX_FILE, then for each expansion_search in EXPANSIONS
// (comma-separated) loads it into an index with that setting and answers the queries one at a
// time on one thread, for at least MIN_SECONDS: queries per second (wall-clock, and per CPU-second
// of the process), and recall@k of the first pass against the ground truth. Prints one JSON
// object on stdout.

const fs = require('fs');
const path = require('path');
const usearch = require('usearch');

function readData(file) {
  const buf = fs.readFileSync(file);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length).slice(); // own, aligned copy
  const magic = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (magic !== 'LUMAVEC1') {
    throw new Error(`${file} is not a vector data file (magic ${JSON.stringify(magic)})`);
  }
  const view = new DataView(bytes.buffer);
  const dimension = view.getInt32(8, true);
  const count = view.getInt32(12, true);
  const queryCount = view.getInt32(16, true);
  const k = view.getInt32(20, true);
  let offset = 32;
  const vectors = new Float32Array(bytes.buffer, offset, count * dimension);
  offset += count * dimension * 4;
  const queries = new Float32Array(bytes.buffer, offset, queryCount * dimension);
  offset += queryCount * dimension * 4;
  const truth = new Int32Array(bytes.buffer, offset, queryCount * k);
  if (offset + queryCount * k * 4 !== bytes.length) {
    throw new Error(`${file} has ${bytes.length} bytes; its header says ${offset + queryCount * k * 4}`);
  }
  return { dimension, count, queryCount, k, vectors, queries, truth };
}

function seconds(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function main() {
  const [dataFile, minSecondsText, expansionsText, connectivityText, expansionAddText, indexFile] =
    process.argv.slice(2);
  const data = readData(dataFile);
  const minSeconds = Number(minSecondsText);
  const expansions = expansionsText.split(',').map(Number);
  const config = {
    dimensions: data.dimension,
    metric: 'cos',
    quantization: 'f32',
    connectivity: Number(connectivityText),
    expansion_add: Number(expansionAddText),
    expansion_search: 64,
    multi: false,
  };
  const { dimension, count, queryCount, k } = data;

  const keys = new BigUint64Array(count);
  for (let i = 0; i < count; i++) keys[i] = BigInt(i);
  let start = process.hrtime.bigint();
  const buildCpu = process.cpuUsage();
  const built = new usearch.Index(config);
  built.add(keys, data.vectors, 1);
  const buildSeconds = seconds(start);
  const buildCpuUsed = process.cpuUsage(buildCpu);
  if (built.size() !== count) {
    throw new Error(`the index holds ${built.size()} vectors, not ${count}`);
  }
  built.save(indexFile);
  const indexBytes = fs.statSync(indexFile).size;

  const sweep = [];
  for (const expansion of expansions) {
    const index = new usearch.Index({ ...config, expansion_search: expansion });
    index.load(indexFile);
    const query = (q) => index.search(data.queries.subarray(q * dimension, (q + 1) * dimension), k, 1);
    // One unmeasured pass, so the first setting does not pay for warming up.
    for (let q = 0; q < queryCount; q++) query(q);
    start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    let recall = 0;
    for (let q = 0; q < queryCount; q++) {
      const found = query(q).keys;
      const truth = data.truth.subarray(q * k, (q + 1) * k);
      let hits = 0;
      for (let j = 0; j < Math.min(k, found.length); j++) {
        if (truth.includes(Number(found[j]))) hits++;
      }
      recall += hits / k;
    }
    let queries = queryCount;
    while (seconds(start) < minSeconds) {
      for (let q = 0; q < queryCount; q++) query(q);
      queries += queryCount;
    }
    const elapsed = seconds(start);
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    sweep.push({
      setting: expansion,
      qps: queries / elapsed,
      cpuQps: cpuSeconds > 0 ? queries / cpuSeconds : null,
      recall: recall / queryCount,
      queries,
      seconds: elapsed,
    });
  }

  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', 'usearch', 'package.json'), 'utf8'));
  process.stdout.write(
    JSON.stringify({
      version: pkg.version,
      node: process.version,
      vectors: count,
      buildSeconds,
      buildCpuSeconds: (buildCpuUsed.user + buildCpuUsed.system) / 1e6,
      buildPerSecond: count / buildSeconds,
      buildThreads: 1,
      indexBytes,
      sweep,
    }) + '\n'
  );
}

main();
