"""Generates the gRPC messages the package ships (inferd/_proto), from the
server's own proto/ files, before a wheel is built.

The proto package is renamed (inference -> inferd_py.inference) so the
messages never clash with tritonclient's in one process's descriptor pool;
the wire is unchanged, and the method paths the client calls are written
with the server's package name (grpc_client.py).
    python build_protos.py [protoc]   (Debian's protobuf-compiler by default;
    its Python output loads on protobuf 4 to 6)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTOS = ("grpc_service.proto", "model_config.proto")


def main() -> int:
    protoc = sys.argv[1] if len(sys.argv) > 1 else "protoc"
    out = HERE / "src" / "inferd" / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "inferd" / "_proto"
        tree.mkdir(parents=True)
        for name in PROTOS:
            text = (HERE.parent / "proto" / name).read_text()
            text = re.sub(r"^package inference;", "package inferd_py.inference;", text, flags=re.M)
            text = re.sub(
                r'^import "(model_config\.proto)";', r'import "inferd/_proto/\1";', text, flags=re.M
            )
            (tree / name).write_text(text)
        args = [
            protoc,
            f"-I{tmp}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            *(f"inferd/_proto/{n}" for n in PROTOS),
        ]
        if subprocess.run(args).returncode != 0:
            return 1
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for generated in tree.glob("*_pb2.py*"):
            shutil.copy(generated, out / generated.name)
        (out / "__init__.py").write_text('"""Generated from proto/ by build_protos.py."""\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())
