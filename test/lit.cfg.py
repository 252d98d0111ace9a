# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.qc_tools_dir, config.llvm_tools_dir]
# Every pass must leave verifiable IR: verify after each one, explicitly.
llvm_config.add_tool_substitutions(
    [ToolSubst("qc-opt", extra_args=["--verify-each"]), "qc-accel", "mlir-translate", "llc",
     "mlir-runner"], tool_dirs)
# Runtime libraries for tests that execute IR (mlir-runner -shared-libs).
config.substitutions.append(("%llvm_lib_dir", os.path.join(config.llvm_tools_dir, "..", "lib")))
