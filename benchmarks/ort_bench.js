// Median latency of an ONNX model in ONNX Runtime (node), batch 1.
//   node ort_bench.js MODEL.onnx INPUT_NAME C H W THREADS REPS
// Needs onnxruntime-node (npm install --ignore-scripts onnxruntime-node).
const ort = require('onnxruntime-node');
(async () => {
  const [model, name, c, h, w, threads, reps] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: +threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const n = +c * +h * +w, data = new Float32Array(n);
  for (let i = 0; i < n; ++i) data[i] = Math.sin(i);
  const feeds = { [name]: new ort.Tensor('float32', data, [1, +c, +h, +w]) };
  for (let i = 0; i < 3; ++i) await s.run(feeds);
  const ts = [];
  for (let i = 0; i < +reps; ++i) {
    const t = process.hrtime.bigint();
    await s.run(feeds);
    ts.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ts.sort((a, b) => a - b);
  console.log(`median_ms=${ts[Math.floor(ts.length / 2)]}`);
})();
