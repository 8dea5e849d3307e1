# SPDX-License-Identifier: Apache-2.0
"""bnn-convert and bnn-run as the parity scripts call them."""
import os
import subprocess
import tempfile

import numpy as np


def convert_and_run(bin_dir, onnx_path, x, extra=()):
    """Converts `onnx_path` and runs it on `x`. Returns (output or None, the converter's stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        bnn_path = os.path.join(tmp, "m.bnn")
        x_path, y_path = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
        conv = subprocess.run([os.path.join(bin_dir, "bnn-convert"), onnx_path, "-o", bnn_path, *extra],
                              capture_output=True, text=True)
        if conv.returncode != 0:
            return None, conv.stderr
        np.save(x_path, np.asarray(x, dtype=np.float32))
        subprocess.run([os.path.join(bin_dir, "bnn-run"), "--model", bnn_path, "--input", x_path, "--output", y_path],
                       check=True, capture_output=True)
        return np.load(y_path), conv.stderr
