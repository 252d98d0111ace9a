// RUN: qc-opt %s --qc-export-graph=output=%t.json | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --input-file=%t.json --check-prefix=JSON
// RUN: FileCheck %s --input-file=%t.json --check-prefix=JSONC
// RUN: not qc-opt %s --qc-export-graph=output=%t.missing-dir/x.json 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: qc-opt %s --qc-export-graph="output=%t.nc.json constants=false" -o /dev/null
// RUN: FileCheck %s --input-file=%t.nc.json --check-prefix=NOCONST

// The IR is unchanged.
// IR-LABEL: func @g
// IR: qc.requantize

// JSON: "format":"qc-graph"
// JSON-SAME: "functions":[{"args":[{"id":0,"name":"input","type":{"dtype":"i32","shape":[1,2]}}]
// JSON-SAME: "attrs":{"axis":1,"input_zp":0,"max":127,"min":-128,"multiplier":[1073741824,1073741824],"output_zp":-3,"shift":[31,32]}
// JSON-SAME: "op":"qc.requantize"
// JSON-SAME: "attrs":{"qtype":{"axis":-1,"group_size":0,"qmax":127,"qmin":-128,"scales":[0.25],"storage":"i8","zero_points":[-3]}}
// JSON-SAME: "op":"qc.dequantize"
// JSON-SAME: "op":"func.return"

// Integer tensors are their little-endian bytes in base64 (1, 2 as i32).
// JSONC: "attrs":{"value":{"b64":"AQAAAAIAAAA=","type":{"dtype":"i32","shape":[2]}}},"name":"","op":"arith.constant"
// NOCONST: "attrs":{},{{.*}}"op":"arith.constant"
// NOCONST-NOT: "b64"

// ERR: error: cannot write '{{.*}}missing-dir/x.json'
func.func @g(%x: tensor<1x2xi32> loc("input")) -> tensor<1x2xf32> {
  %c = arith.constant dense<[1, 2]> : tensor<2xi32>
  %0 = qc.requantize %x {axis = 1 : i64, input_zp = 0 : i32, output_zp = -3 : i32, min = -128 : i32, max = 127 : i32, multiplier = array<i32: 1073741824, 1073741824>, shift = array<i32: 31, 32>} : tensor<1x2xi32> -> tensor<1x2xi8>
  %1 = qc.dequantize %0 {qtype = !quant.uniform<i8:f32, 0.25:-3>} : tensor<1x2xi8> -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}
